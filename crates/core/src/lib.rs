//! The engine behind vecspace: word spaces, exact nearest-neighbour search, analogies and the
//! expression language shared by every kind of space.
//!
//! This crate knows nothing about file formats, networks or models; its one piece of file I/O is
//! the atomic write every writer shares ([`io::write_atomically`]). Readers for on-disk formats
//! live in `vecspace-formats`; each kind of space supplies a [`Resolver`] so that the same
//! expressions evaluate over words, image latents or model activations.
//!
//! ```
//! use vecspace_core::{Space, QueryOptions};
//!
//! let space = Space::from_rows(
//!     vec!["king".into(), "man".into(), "woman".into(), "queen".into()],
//!     vec![
//!         0.9, 0.8, 0.1, // king: royal, male
//!         0.1, 0.9, 0.0, // man
//!         0.1, 0.0, 0.9, // woman
//!         0.9, 0.0, 0.8, // queen: royal, female
//!     ],
//!     3,
//! )?;
//! let answer = space.query("king - man + woman", &QueryOptions::default().top(1))?;
//! assert_eq!(answer.results[0].word, "queen");
//! # Ok::<(), vecspace_core::Error>(())
//! ```

pub mod analogy;
pub mod debias;
pub mod direction;
pub mod encoder;
mod error;
pub mod expr;
pub mod io;
pub mod linalg;
mod memory;
pub mod progress;
pub mod projection;
pub mod random;
pub mod search;
mod space;
pub mod spelling;
pub mod stats;
pub mod subwords;
mod vocab;

pub use analogy::AnalogyMethod;
pub use direction::{BuildMethod, Direction, DirectionInfo};
pub use encoder::TextEncoder;
pub use error::{Error, Result};
pub use expr::{Expr, Resolver, Value};
pub use search::{Metric, Neighbor};
pub use space::{
    DenseMatrix, Derivation, MAX_SQUARED_LENGTH, Matrix, QueryAnswer, QueryOptions, Scored, Space, WordResolver,
    cosine, length,
};
pub use vocab::{Vocabulary, WordList};

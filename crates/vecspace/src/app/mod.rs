//! The application layer: the operations people name, written once for every front end.
//!
//! The CLI, the HTTP server and the Python package translate arguments, requests or calls into
//! these functions and their answers back; none of them holds logic of its own. Each operation
//! takes what it needs explicitly (an open space, the direction store, a progress sink) and
//! returns typed values and one [`enum@Error`] whose [`ErrorKind`] every front end maps: the CLI
//! to exit status 2, the server to an HTTP status and a stable code, Python to an exception class.
//!
//! ```
//! use vecspace::app::{self, DirectionStore};
//! use vecspace::prelude::*;
//!
//! # let dir = tempfile::tempdir()?;
//! let space = Space::from_rows(
//!     vec!["king".into(), "man".into(), "woman".into(), "queen".into()],
//!     vec![0.9, 0.8, 0.1, 0.1, 0.9, 0.0, 0.1, 0.0, 0.9, 0.9, 0.0, 0.8],
//!     3,
//! )?;
//! let store = DirectionStore::in_dir(dir.path());
//! let pairs = app::directions::parse_pairs(&["man:woman".to_owned()])?;
//! let examples = app::directions::Examples { pairs, ..Default::default() };
//! let word = |w: &str| Ok(space.unit_vector(space.lookup(w)?));
//! let gender = app::directions::build("toy", &word, vecspace::BuildMethod::MeanDiff, &examples, false)?;
//! store.save("gender", &gender, app::files::Overwrite::force(false))?;
//! match app::words::query(&space, &store, "king + @gender", &QueryOptions::default().top(1))? {
//!     app::words::Answer::Neighbours(answer) => assert_eq!(answer.results[0].word, "queen"),
//!     app::words::Answer::Scalar { .. } => unreachable!(),
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod bias;
pub mod clock;
pub mod directions;
mod error;
pub mod evaluation;
pub mod files;
pub mod gensim;
#[cfg(feature = "latent")]
pub mod latent;
pub mod plots;
#[cfg(feature = "remote")]
pub mod remote;
pub mod spaces;
#[cfg(feature = "lm")]
pub mod steering;
#[cfg(feature = "text")]
pub mod text;
pub mod words;

pub use directions::DirectionStore;
pub use error::{Error, ErrorKind, Result, printable};
pub use spaces::{Index, Opened, SpaceRequest};

#[cfg(test)]
mod tests;

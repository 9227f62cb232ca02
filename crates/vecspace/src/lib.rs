//! vecspace: vector arithmetic in embedding spaces — `king − man + woman ≈ queen` — exact,
//! fast, and with one expression language for every kind of space.
//!
//! This crate gathers the parts: the engine ([`vecspace_core`], re-exported at the top level),
//! file formats ([`formats`]) and the registry of fetchable spaces ([`fetch`]).
//!
//! ```
//! use vecspace::prelude::*;
//!
//! # let dir = tempfile::tempdir()?;
//! # let path = dir.path().join("toy.txt");
//! std::fs::write(&path, "king 0.9 0.8 0.1\nman 0.1 0.9 0.0\nwoman 0.1 0.0 0.9\nqueen 0.9 0.0 0.8\n")?;
//! let space = Space::open(&path)?; // GloVe text, detected
//! let answer = space.query("king - man + woman", &QueryOptions::default().top(1))?;
//! assert_eq!(answer.results[0].word, "queen");
//!
//! // The same space through the native, memory-mapped format.
//! let native = dir.path().join("toy.vsp");
//! vecspace::formats::write(&space, &native, vecspace::formats::Format::Native)?;
//! assert_eq!(Space::open(&native)?.analogy("man", "king", "woman", AnalogyMethod::Mul, 1)?[0].word, "queen");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::path::Path;

pub use vecspace_core::*;
pub use vecspace_eval as eval;
pub use vecspace_fetch as fetch;
pub use vecspace_formats as formats;
pub use vecspace_latent as latent;
pub use vecspace_lm as lm;
pub use vecspace_plot as plot;

/// The names most programs need.
pub mod prelude {
    pub use super::OpenSpace;
    pub use vecspace_core::{AnalogyMethod, Metric, QueryOptions, Space};
}

/// Opening spaces from files and from the registry.
pub trait OpenSpace: Sized {
    /// Opens a file in any supported format, detected from its contents.
    fn open(path: impl AsRef<Path>) -> Result<Self, formats::Error>;

    /// Opens a registered space by name (such as `glove-6b-50d`), fetching it into the cache
    /// (`$VECSPACE_HOME`) on first use.
    fn open_named(name: &str) -> Result<Self, fetch::Error>;
}

impl OpenSpace for Space {
    fn open(path: impl AsRef<Path>) -> Result<Self, formats::Error> {
        Ok(formats::read(path.as_ref(), &formats::ReadOptions::default())?.space)
    }

    fn open_named(name: &str) -> Result<Self, fetch::Error> {
        let cache = fetch::Cache::from_env()?;
        let path = fetch::ensure_space(name, &cache, &progress::Silent)?;
        Ok(formats::native::open(&path)?)
    }
}

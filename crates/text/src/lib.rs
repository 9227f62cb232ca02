//! Sentence embeddings: any text becomes a vector, so that sentences can be added, subtracted and
//! searched like words.
//!
//! [`SentenceEncoder`] runs a sentence-transformers BERT model (all-MiniLM-L6-v2 is the one
//! vecspace registers) as sentence-transformers does: WordPiece tokens through `tokenizers`, cut
//! to the model's `max_seq_length`, the BERT encoder, the mean of the token vectors, and L2
//! normalisation. The encoder packs a batch's tokens end to end with no padding; its matrix
//! products run on `gemm` (the engine candle uses on the CPU) and the rest is plain Rust over
//! rayon (see `docs/PERFORMANCE.md` for why not candle itself).
//!
//! The forward pass is checked against a float64 NumPy reference written from the model files
//! (`tests/reference/minilm_reference.py`).

mod bert;
mod encoder;
pub mod kernels;
mod safetensors;

pub use encoder::{EncoderInfo, SentenceEncoder};

use std::path::PathBuf;

/// What can go wrong loading a sentence encoder or embedding text.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path}: {message}")]
    Model { path: PathBuf, message: String },
    #[error("the text is empty; give some words to embed")]
    EmptyText,
    #[error("{text:?} has no tokens the model knows (only characters the tokenizer drops)")]
    NoTokens { text: String },
    #[error("tokenizing {text:?} failed: {message}")]
    Tokenizer { text: String, message: String },
    #[error("the encoder gave a vector that is not finite for {text:?}")]
    NonFinite { text: String },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

//! Language-model activations for vecspace: decoder-only transformers (llama, qwen2, qwen3 and
//! gemma3 architectures — SmolLM2, Llama 3, Qwen 2.5/3, Gemma 3) read from GGUF files in the
//! common quantisations (Q4_0 to Q8_0, the K-quants Q3_K to Q6_K, F16, BF16, F32) and run on the
//! CPU with quantised kernels of our own, one token at a time with a key–value cache and a hook
//! after every block — where steering vectors are added and the residual stream is read.
//!
//! ```
//! use vecspace_lm::quant::{GgmlType, QMatrix, quantize};
//! // A 1×32 Q8_0 matrix (scale 0.5, every weight 2) times a vector of 127s (which quantises
//! // exactly: a step of 1).
//! let mut block = half::f16::from_f32(0.5).to_le_bytes().to_vec();
//! block.extend([2u8; 32]);
//! let m = QMatrix::new(GgmlType::Q8_0, 1, 32, block).unwrap();
//! let x = vec![127.0f32; 32];
//! let mut out = [0.0];
//! m.matvec(&x, &quantize(&x), &mut out);
//! assert_eq!(out[0], 32.0 * 127.0);
//! ```

pub mod activation;
pub mod attention;
pub mod generate;
pub mod gguf;
pub mod model;
pub mod quant;
pub mod sentencepiece;
pub mod steer;
pub mod team;
pub mod tokenizer;

pub use generate::{Sampling, Stats, generate};
pub use gguf::{Gguf, GgufError};
pub use model::{Architecture, Cache, Config, Hook, Model, NoHook, Precision};
pub use tokenizer::Tokenizer;

/// Everything that can go wrong loading or running a language model.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LmError {
    #[error(transparent)]
    Gguf(#[from] GgufError),
    #[error("unsupported: {0}")]
    Unsupported(String),
    #[error("tokenizer: {0}")]
    Tokenizer(String),
    #[error("token {token} is outside the vocabulary of {vocab}")]
    Token { token: u32, vocab: usize },
    #[error("the context is full ({context} tokens)")]
    ContextFull { context: usize },
    #[error(
        "the residual stream after block {layer} holds infinite or NaN values (token {position}); a steering coefficient this large breaks the model's arithmetic, so try a smaller one"
    )]
    NonFiniteActivations { layer: usize, position: usize },
    #[error("{0}")]
    Invalid(String),

    // --- weight matrices ---
    #[error("rows of {columns} values are not whole {kind:?} blocks")]
    PartialBlocks { kind: quant::GgmlType, columns: usize },
    #[error("rows of {columns} values are not whole blocks of {block}")]
    PartialQuantBlocks { columns: usize, block: usize },
    #[error("{rows}×{columns} {kind:?} needs {expected} bytes, found {found}")]
    MatrixSize { kind: quant::GgmlType, rows: usize, columns: usize, expected: u64, found: usize },
}

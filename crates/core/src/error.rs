use crate::expr::{EvalError, ParseError};
use crate::space::describe_expression_error;

/// Everything that can go wrong in the core engine.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    // --- building spaces ---
    #[error("a space needs at least one dimension")]
    ZeroDimensions,
    #[error("matrix holds {values} values, which is not {rows} rows of {dims} dimensions")]
    ShapeMismatch { rows: usize, dims: usize, values: usize },
    #[error("the word {word:?} appears twice (rows {first} and {second})")]
    DuplicateWord { word: String, first: usize, second: usize },
    #[error("row {row} ({word:?}) holds a non-finite value (NaN or infinity) at dimension {dim}")]
    NonFinite { row: usize, word: String, dim: usize },
    #[error(
        "row {row} ({word:?}) is {length:.3e} long; searching in single precision needs rows shorter than {:.1e}",
        crate::space::MAX_SQUARED_LENGTH.sqrt()
    )]
    RowTooLong { row: usize, word: String, length: f64 },
    #[error("bad subword table: {0}")]
    Subwords(String),
    #[error("cannot embed {text:?} with {encoder}: {message}")]
    Encoding { text: String, encoder: String, message: String },

    // --- directions ---
    #[error("{method} needs at least {needed} example(s), got {given}")]
    TooFewExamples { method: &'static str, needed: usize, given: usize },
    #[error("pair {index} has the same vector on both sides, so it has no direction")]
    IdenticalPair { index: usize },
    #[error("cannot build a direction: {reason}")]
    DegenerateExamples { reason: &'static str },

    // --- queries ---
    #[error("vector has {found} dimensions but the space has {expected}")]
    DimensionMismatch { expected: usize, found: usize },
    #[error("unknown word {word:?}{}", crate::spelling::suggestion_suffix(.suggestions))]
    UnknownWord { word: String, suggestions: Vec<String> },
    #[error("{operation} needs at least {needed} words, got {given}")]
    TooFewWords { operation: &'static str, needed: usize, given: usize },
    #[error("the expression evaluates to a number ({value}), not a vector; neighbours need a vector")]
    ScalarQuery { value: f64 },
    #[error(transparent)]
    Parse(#[from] ParseError),
    #[error("{}", describe_expression_error(.expression, .error))]
    Expression { expression: String, error: EvalError },
    #[error("the query vector is zero, so cosine similarity is undefined; use the dot-product or Euclidean metric")]
    ZeroQuery,
    #[error("the query vector holds NaN or infinite values")]
    NonFiniteQuery,
    #[error(
        "the query vector is {length:.3e} long, which {} single precision in a {metric} search; scale it{}",
        if *.length > 1.0 { "overflows" } else { "underflows" },
        if *.metric == "cosine" { "" } else { ", or search by cosine, which ignores length" }
    )]
    QueryLength { length: f64, metric: &'static str },

    /// The storage of a space changed under the process (see [`crate::Matrix::check_intact`]).
    #[error("{message}")]
    SourceChanged { message: String },

    // --- search engines ---
    #[error("the {engine} search engine failed: {message}")]
    Engine { engine: &'static str, message: String },

    // --- saved HNSW graphs, checked when reassembled ---
    #[error("{links} bottom links do not make rows of {width}")]
    HnswLinkTable { links: usize, width: usize },
    #[error("link {slot} points to node {node}, beyond the {nodes} nodes")]
    HnswLink { slot: usize, node: u32, nodes: usize },
    #[error("layer {layer} holds a bad node or link at node {node}")]
    HnswLayer { layer: usize, node: u32 },
    #[error("the entry node {entry} is not on the top layer")]
    HnswEntry { entry: u32 },
    #[error(
        "an index over {nodes} rows of {dims} dimensions grows only into a space that keeps them and adds rows, not {rows} rows of {rows_dims}"
    )]
    HnswGrow { nodes: usize, dims: usize, rows: usize, rows_dims: usize },
}

/// Result with the core [`enum@Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

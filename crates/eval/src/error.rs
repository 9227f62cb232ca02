/// Everything that can go wrong reading or running a benchmark.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error("line {line}: {message}")]
    Malformed { line: usize, message: String },
    #[error("the benchmark holds no {what}")]
    Empty { what: &'static str },
    #[error("--restrict-vocab must be at least 1")]
    ZeroRestriction,
    #[error("no pair of the benchmark has both words in the first {restrict_vocab} words of the space")]
    NoPairsInVocabulary { restrict_vocab: usize },
    #[error("no word of the set {name:?} is in the space")]
    EmptySet { name: String },
    #[error(transparent)]
    Space(#[from] vecspace_core::Error),
    #[error("{path}: {source}")]
    Io { path: std::path::PathBuf, source: std::io::Error },
    #[error("{path}, line {line}: {message}")]
    MalformedFile { path: std::path::PathBuf, line: usize, message: String },
}

/// Result with the evaluation [`enum@Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

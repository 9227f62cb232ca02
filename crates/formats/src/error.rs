use std::path::{Path, PathBuf};

use crate::Format;

/// Everything that can go wrong reading or writing embedding files.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path}: the file is empty")]
    Empty { path: PathBuf },
    #[error(
        "{path}: the checksum does not match (recorded {recorded:016x}, computed {computed:016x}); the file is damaged, so fetch or convert it again"
    )]
    ChecksumMismatch { path: PathBuf, recorded: u64, computed: u64 },
    #[error("{path}: the file changed while in use (mapped {mapped} bytes, now {now}); restart with an intact file")]
    Changed { path: PathBuf, mapped: u64, now: u64 },
    #[error(
        "{path}: cannot tell the format from its contents; name it with --format (native, word2vec-text, word2vec-binary, glove, npy)"
    )]
    UnknownFormat { path: PathBuf },
    #[error("{path}, {location}: {message}")]
    Malformed { path: PathBuf, location: Location, message: String },
    #[error(
        "{path}: {what} declares {declared} but the file has room for at most {available}; it is truncated or corrupt"
    )]
    Truncated { path: PathBuf, what: &'static str, declared: u64, available: u64 },
    #[error("{path}: a .npy matrix needs a vocabulary file (one word per line); pass it with --vocab")]
    MissingVocabulary { path: PathBuf },
    #[error(transparent)]
    NpyHeader(#[from] crate::npy::HeaderError),
    #[error("cannot write {format} files; write native, word2vec-text or word2vec-binary")]
    Unwritable { format: Format },
    #[error("the word {word:?} contains whitespace, which {format} files cannot represent")]
    Unrepresentable { word: String, format: Format },
    #[error("{path}: {source}")]
    Space { path: PathBuf, source: vecspace_core::Error },
}

/// Where in a file a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    Line(u64),
    Byte(u64),
    Header,
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Location::Line(line) => write!(f, "line {line}"),
            Location::Byte(offset) => write!(f, "byte {offset}"),
            Location::Header => f.write_str("header"),
        }
    }
}

impl Error {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        Error::Io { path: path.to_owned(), source }
    }

    pub(crate) fn malformed(path: &Path, location: Location, message: impl Into<String>) -> Self {
        Error::Malformed { path: path.to_owned(), location, message: message.into() }
    }

    pub(crate) fn space(path: &Path, source: vecspace_core::Error) -> Self {
        Error::Space { path: path.to_owned(), source }
    }
}

/// Result with the formats [`enum@Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

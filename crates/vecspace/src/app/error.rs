//! The application layer's one error type, and the kinds every front end maps: the CLI to exit
//! status 2 with the message, the server to an HTTP status with a stable code, Python to an
//! exception class.

use crate::{eval, fetch, formats};

/// What kind of problem an [`Error`] is, for front ends that answer differently per kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A word (or an expression's name) the space does not hold.
    UnknownWord,
    /// An expression that does not parse or evaluate.
    BadExpression,
    /// A saved direction that does not exist.
    UnknownDirection,
    /// A benchmark set the registry does not hold.
    UnknownBenchmark,
    /// A model name the registry does not know.
    UnknownModel,
    /// Anything else wrong with what was asked: a bad argument, a value out of range, a file
    /// that does not fit.
    InvalidInput,
    /// A file that cannot be read or written.
    File,
    /// An output that already exists and was not to be replaced.
    Exists,
    /// Something outside the request failed: a download, a model load, a database server.
    Unavailable,
}

/// Everything the application layer can fail with.
///
/// The errors of formats, fetching and models are boxed: they are large, most results never hold
/// one, and a small error keeps every `Result` small.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error(transparent)]
    Core(#[from] vecspace_core::Error),
    #[error(transparent)]
    Format(Box<formats::Error>),
    #[error(transparent)]
    Fetch(Box<fetch::Error>),
    #[error(transparent)]
    Eval(#[from] eval::Error),
    #[error(transparent)]
    Plot(#[from] crate::plot::Error),
    #[error(transparent)]
    Model(Box<crate::ModelError>),
    #[cfg(feature = "latent")]
    #[error(transparent)]
    Generator(#[from] crate::latent::GeneratorError),
    #[cfg(feature = "lm")]
    #[error(transparent)]
    LanguageModel(#[from] crate::lm::LmError),
    #[cfg(feature = "remote")]
    #[error(transparent)]
    Remote(#[from] crate::remote::Error),
    #[cfg(feature = "text")]
    #[error(transparent)]
    Text(#[from] crate::text::Error),

    /// A latent expression that does not parse or evaluate; in a latent space an unknown name is
    /// a mistake in the expression, not a missing word.
    #[error(transparent)]
    LatentExpression(vecspace_core::Error),

    // --- spaces ---
    #[error("{name:?} is neither a registered space ({known}) nor an existing file")]
    UnknownSpace { name: String, known: String },
    #[error("the cached copy of {name} is unreadable; `vecspace fetch {name} --force` replaces it: {source}")]
    DamagedCache { name: String, source: Box<formats::Error> },
    #[error("language models are not part of this build (the `lm` feature); {name:?} needs them")]
    NotBuiltIn { name: String },

    // --- benchmarks ---
    #[error("no {what} set {name:?}; registered: {known}")]
    UnknownBenchmark { what: &'static str, name: String, known: String },

    // --- directions ---
    #[error("no direction {name:?}; saved directions: {}", list_or_none(.saved))]
    UnknownDirection { name: String, saved: Vec<String> },
    #[error("{name:?} is not a valid name (letters, digits, - and _, at most 64)")]
    InvalidName { name: String },
    #[error(
        "direction {name:?} was built in {built_in:?} and does not fit this space: it has {found} dimensions, the space {expected}"
    )]
    DirectionDoesNotFit { name: String, built_in: String, found: usize, expected: usize },

    // --- outputs ---
    #[error("{what} already exists; {how} to replace it")]
    OutputExists { what: String, how: &'static str },
    #[error("{} is also an input; write to another file", .path.display())]
    OutputIsInput { path: std::path::PathBuf },

    // --- requests ---
    /// A request that cannot be answered as asked; the message says what to change.
    #[error("{0}")]
    Invalid(String),
    #[error("{path}: {source}")]
    Io { path: std::path::PathBuf, source: std::io::Error },
}

/// `message` safe to show on a terminal: control characters from input (an ESC starting a
/// terminal escape sequence, a carriage return that hides what came before) are written as
/// `\u{1b}` escapes; newlines and tabs, which messages use themselves, are kept.
pub fn printable(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    for c in message.chars() {
        if c.is_control() && c != '\n' && c != '\t' {
            out.push_str(&c.escape_unicode().to_string());
        } else {
            out.push(c);
        }
    }
    out
}

/// Result with the application [`enum@Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

fn list_or_none(names: &[String]) -> String {
    if names.is_empty() { "none yet".to_owned() } else { names.join(", ") }
}

impl From<fetch::Error> for Error {
    fn from(error: fetch::Error) -> Error {
        Error::Fetch(Box::new(error))
    }
}

impl From<formats::Error> for Error {
    fn from(error: formats::Error) -> Error {
        Error::Format(Box::new(error))
    }
}

impl From<crate::ModelError> for Error {
    fn from(error: crate::ModelError) -> Error {
        Error::Model(Box::new(error))
    }
}

impl Error {
    /// An [`Error::Invalid`] with this message.
    pub fn invalid(message: impl Into<String>) -> Error {
        Error::Invalid(message.into())
    }

    /// The kind of problem, for front ends to map.
    pub fn kind(&self) -> ErrorKind {
        use vecspace_core::expr::EvalErrorKind;
        match self {
            Error::Core(vecspace_core::Error::UnknownWord { .. }) => ErrorKind::UnknownWord,
            Error::Core(vecspace_core::Error::Expression { error, .. })
                if matches!(error.kind, EvalErrorKind::UnknownName { .. }) =>
            {
                ErrorKind::UnknownWord
            }
            Error::Core(vecspace_core::Error::Parse(_) | vecspace_core::Error::Expression { .. }) => {
                ErrorKind::BadExpression
            }
            Error::LatentExpression(_) => ErrorKind::BadExpression,
            Error::UnknownDirection { .. } => ErrorKind::UnknownDirection,
            Error::UnknownBenchmark { .. } => ErrorKind::UnknownBenchmark,
            Error::Model(error) if matches!(**error, crate::ModelError::Unknown { .. }) => ErrorKind::UnknownModel,
            Error::Model(_) | Error::Fetch(_) | Error::DamagedCache { .. } => ErrorKind::Unavailable,
            #[cfg(feature = "remote")]
            Error::Remote(
                crate::remote::Error::InvalidParameter { .. } | crate::remote::Error::UnsupportedIndex { .. },
            ) => ErrorKind::InvalidInput,
            #[cfg(feature = "remote")]
            Error::Remote(_) => ErrorKind::Unavailable,
            Error::Format(error) if matches!(**error, formats::Error::Io { .. }) => ErrorKind::File,
            Error::Io { .. } => ErrorKind::File,
            #[cfg(feature = "text")]
            Error::Text(crate::text::Error::Io { .. }) => ErrorKind::File,
            #[cfg(feature = "text")]
            Error::Text(crate::text::Error::Model { .. }) => ErrorKind::Unavailable,
            Error::OutputExists { .. } => ErrorKind::Exists,
            _ => ErrorKind::InvalidInput,
        }
    }
}

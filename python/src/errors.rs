//! The application layer's errors as Python exceptions, chosen by the error's kind: an unknown
//! word is a `KeyError` (its message carries the nearest spellings), a bad expression a
//! `ValueError` (with the caret line), a file an `OSError`. The package's own classes subclass
//! those built-ins, so `except KeyError` catches what a gensim notebook expects.

use pyo3::exceptions::{
    PyFileExistsError, PyFileNotFoundError, PyKeyError, PyOSError, PyPermissionError, PyRuntimeError, PyValueError,
};
use pyo3::prelude::*;
use vecspace::app::{self, ErrorKind};

pyo3::create_exception!(vecspace, UnknownWordError, PyKeyError, "A word the space does not hold.");
pyo3::create_exception!(vecspace, UnknownDirectionError, PyKeyError, "A saved direction that does not exist.");
pyo3::create_exception!(vecspace, ExpressionError, PyValueError, "An expression that does not parse or evaluate.");
pyo3::create_exception!(
    vecspace,
    UnavailableError,
    PyRuntimeError,
    "Something outside the call failed: a download, a model file, a database server."
);

pub fn register(module: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = module.py();
    module.add("UnknownWordError", py.get_type::<UnknownWordError>())?;
    module.add("UnknownDirectionError", py.get_type::<UnknownDirectionError>())?;
    module.add("ExpressionError", py.get_type::<ExpressionError>())?;
    module.add("UnavailableError", py.get_type::<UnavailableError>())?;
    Ok(())
}

/// The exception for an application-layer error.
pub fn to_python(error: app::Error) -> PyErr {
    let message = error.to_string();
    match error.kind() {
        ErrorKind::UnknownWord => UnknownWordError::new_err(message),
        ErrorKind::UnknownDirection => UnknownDirectionError::new_err(message),
        ErrorKind::BadExpression => ExpressionError::new_err(message),
        ErrorKind::Unavailable => UnavailableError::new_err(message),
        ErrorKind::Exists => PyFileExistsError::new_err(message),
        ErrorKind::File => match io_kind(&error) {
            Some(std::io::ErrorKind::NotFound) => PyFileNotFoundError::new_err(message),
            Some(std::io::ErrorKind::PermissionDenied) => PyPermissionError::new_err(message),
            _ => PyOSError::new_err(message),
        },
        // A space that is neither registered nor a file is a missing file to Python.
        _ if matches!(error, app::Error::UnknownSpace { .. }) => PyFileNotFoundError::new_err(message),
        _ => PyValueError::new_err(message),
    }
}

fn io_kind(error: &app::Error) -> Option<std::io::ErrorKind> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(error) = source {
        if let Some(io) = error.downcast_ref::<std::io::Error>() {
            return Some(io.kind());
        }
        source = error.source();
    }
    None
}

/// `Result` of the application layer into Python's.
pub trait IntoPy<T> {
    fn py_err(self) -> PyResult<T>;
}

impl<T> IntoPy<T> for app::Result<T> {
    fn py_err(self) -> PyResult<T> {
        self.map_err(to_python)
    }
}

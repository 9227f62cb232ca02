//! `vecspace._native`: the Python package's compiled half. Each call translates Python arguments
//! into a call of the application layer (`vecspace::app`) and its answer back into Python values
//! (NumPy arrays for vectors and images); errors become exceptions by their kind. Nothing here
//! decides a result: the rules live in the application layer, shared with the CLI and the server.

mod directions;
mod errors;
mod faces;
mod lm;
mod progress;
mod words;

use pyo3::prelude::*;

#[pymodule]
fn _native(module: &Bound<'_, PyModule>) -> PyResult<()> {
    errors::register(module)?;
    module.add_class::<words::KeyedVectors>()?;
    module.add_class::<directions::Direction>()?;
    module.add_class::<directions::Picture>()?;
    module.add_function(wrap_pyfunction!(words::load, module)?)?;
    faces::register(module)?;
    lm::register(module)?;
    module.add_function(wrap_pyfunction!(cache_dir, module)?)?;
    module.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}

/// Where fetched models and data and saved directions are kept: `$VECSPACE_HOME`, else
/// `~/.cache/vecspace`.
#[pyfunction]
fn cache_dir() -> PyResult<std::path::PathBuf> {
    let cache = vecspace::fetch::Cache::from_env().map_err(|e| errors::to_python(e.into()))?;
    Ok(cache.root().to_owned())
}

/// Writes `bytes` to `path` whole or not at all (a temporary file renamed into place).
fn write_file(path: &std::path::Path, bytes: &[u8]) -> PyResult<()> {
    vecspace::formats::write_atomically(path, |out| {
        std::io::Write::write_all(out, bytes)
            .map_err(|source| vecspace::formats::Error::Io { path: path.to_owned(), source })
    })
    .map_err(|e| errors::to_python(e.into()))
}

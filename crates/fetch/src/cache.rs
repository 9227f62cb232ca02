//! Where fetched spaces live: `$VECSPACE_HOME`, by default `~/.cache/vecspace`.

use std::path::{Path, PathBuf};

use crate::registry::{Entry, Kind, Recipe};
use crate::{Error, Result};

/// The cache directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cache {
    root: PathBuf,
}

impl Cache {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Cache { root: root.into() }
    }

    /// `$VECSPACE_HOME` if set, else `$HOME/.cache/vecspace`.
    pub fn from_env() -> Result<Self> {
        if let Some(home) = std::env::var_os("VECSPACE_HOME").filter(|v| !v.is_empty()) {
            return Ok(Cache::new(home));
        }
        let home = std::env::var_os("HOME").filter(|v| !v.is_empty()).ok_or(Error::NoCacheDir)?;
        Ok(Cache::new(Path::new(&home).join(".cache").join("vecspace")))
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where the native file of space `name` is kept.
    pub fn space_path(&self, name: &str) -> PathBuf {
        self.root.join("spaces").join(format!("{name}.vsp"))
    }

    /// Where an entry's file is kept: `spaces/NAME.vsp` for a converted space, `spaces/NAME.EXT`
    /// for a space kept as its package has it (a fastText `.bin`), `models/NAME.EXT` for
    /// generators and language models, `images/NAME.EXT` for pictures, or `benchmarks/NAME.EXT`, with the extension of the file in
    /// the package; `servers/FILE` for a package kept whole; `models/NAME/` for a model of several
    /// files.
    pub fn entry_path(&self, entry: &Entry) -> PathBuf {
        match entry.recipe {
            Recipe::NpyWithParquetVocab { .. } => self.space_path(entry.name),
            Recipe::Member { member, .. } => {
                let extension = Path::new(member).extension().and_then(|e| e.to_str()).unwrap_or("txt");
                let dir = match entry.kind {
                    Kind::ImageGenerator | Kind::LanguageModel => "models",
                    Kind::WordSpace => "spaces",
                    Kind::Image => "images",
                    _ => "benchmarks",
                };
                self.root.join(dir).join(format!("{}.{extension}", entry.name))
            }
            Recipe::Parts { extension, .. } => self.root.join("models").join(format!("{}.{extension}", entry.name)),
            Recipe::Package => self.root.join("servers").join(entry.package.file),
            Recipe::Directory { .. } => self.root.join("models").join(entry.name),
        }
    }

    /// Where saved directions live: `directions/NAME.safetensors`.
    pub fn directions_dir(&self) -> PathBuf {
        self.root.join("directions")
    }

    /// The file of the saved direction `name`.
    pub fn direction_path(&self, name: &str) -> PathBuf {
        self.directions_dir().join(format!("{name}.safetensors"))
    }

    /// A fresh working directory inside the cache (same file system, so renames are atomic),
    /// removed when dropped or when the process is interrupted.
    pub(crate) fn scratch_dir(&self) -> Result<vecspace_core::io::WorkDir> {
        let parent = self.root.join("tmp");
        vecspace_core::io::WorkDir::create(&parent, "fetch-").map_err(|e| Error::io(&parent, e))
    }

    /// Removes what interrupted or killed runs left in the cache a day or more ago (partial
    /// files, download directories) and nobody is still writing; returns what was removed.
    pub fn remove_abandoned(&self) -> Vec<PathBuf> {
        const DAY: std::time::Duration = std::time::Duration::from_secs(24 * 60 * 60);
        let places = ["tmp", "spaces", "benchmarks", "models", "directions", "servers"];
        places.iter().flat_map(|place| vecspace_core::io::remove_abandoned(&self.root.join(place), DAY)).collect()
    }
}

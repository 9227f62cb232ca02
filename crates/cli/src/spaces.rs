//! Turning `--space` into an open space: a registered name (fetched on first use) or a file.

use std::path::Path;

use anyhow::{Context, Result, bail};
use vecspace::Space;
use vecspace::fetch::{self, Cache};
use vecspace::formats::{self, Format, ReadOptions};

use crate::SpaceArgs;
use crate::progress::Bars;

/// An open space and what to call it.
pub struct Opened {
    pub space: Space,
    pub name: String,
    pub path: std::path::PathBuf,
    pub format: Format,
}

pub fn open(args: &SpaceArgs) -> Result<Opened> {
    if let Some(entry) = fetch::registry::find(&args.space).filter(|e| e.kind == fetch::Kind::WordSpace) {
        let cache = Cache::from_env()?;
        let path = fetch::ensure_space(entry.name, &cache, &Bars::new())?;
        let space = formats::native::open(&path).with_context(|| {
            format!(
                "the cached copy of {} is unreadable; `vecspace fetch {} --force` replaces it",
                entry.name, entry.name
            )
        })?;
        return Ok(Opened { space, name: entry.name.to_owned(), path, format: Format::Native });
    }
    let path = Path::new(&args.space);
    if !path.exists() {
        let known: Vec<&str> =
            fetch::REGISTRY.iter().filter(|e| e.kind == fetch::Kind::WordSpace).map(|e| e.name).collect();
        bail!("{:?} is neither a registered space ({}) nor an existing file", args.space, known.join(", "));
    }
    let options = ReadOptions { format: args.format, vocab: args.vocab.clone() };
    let loaded = formats::read_with_progress(path, &options, &Bars::new())?;
    print_warnings(&loaded.warnings);
    Ok(Opened { space: loaded.space, name: args.space.clone(), path: path.to_owned(), format: loaded.format })
}

pub fn print_warnings(warnings: &[String]) {
    for warning in warnings {
        eprintln!("warning: {warning}");
    }
}

//! Benchmarks: analogy and word-similarity sets by registered name (fetched on first use) or by
//! file, and the analogy evaluation through the space's own search engine.

use std::path::{Path, PathBuf};

use super::{Error, Result};
use crate::Space;
use crate::eval::sets::{self, AnalogySet, PairSet};
use crate::eval::{AnalogyOptions, AnalogyReport};
use crate::fetch::registry::BenchmarkFormat;
use crate::fetch::{self, Cache, Kind};
use crate::progress::Progress;

/// Where a set may come from: any registered set or file, or registered sets only (a server,
/// whose requests must not name files).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sources {
    RegisteredOrFile,
    Registered,
}

/// The error for a name that is not a registered set of the kind wanted, naming those that are.
fn unknown(name: &str, analogies: bool) -> Error {
    let wanted = |kind: Kind| match kind {
        Kind::Analogies(_) => analogies,
        Kind::Similarity(_) => !analogies,
        _ => false,
    };
    let known: Vec<&str> = fetch::REGISTRY.iter().filter(|e| wanted(e.kind)).map(|e| e.name).collect();
    let what = if analogies { "analogy" } else { "word-similarity" };
    Error::UnknownBenchmark { what, name: name.to_owned(), known: known.join(", ") }
}

/// Checks, without fetching it, that `name` is a registered analogy set: what a server does
/// before it accepts an evaluation job.
pub fn check_registered_analogy_set(name: &str) -> Result<()> {
    match fetch::registry::find(name) {
        Some(entry) if matches!(entry.kind, Kind::Analogies(_)) => Ok(()),
        _ => Err(unknown(name, true)),
    }
}

/// A registered benchmark's file and format (fetched on first use), or `None` when no set has
/// that name.
fn registered(
    name: &str,
    analogies: bool,
    sources: Sources,
    progress: &dyn Progress,
) -> Result<Option<(PathBuf, BenchmarkFormat)>> {
    let found = fetch::registry::find(name);
    let format = match found.map(|e| e.kind) {
        Some(Kind::Analogies(format)) if analogies => format,
        Some(Kind::Similarity(format)) if !analogies => format,
        Some(_) if sources == Sources::RegisteredOrFile => {
            let what = if analogies { "an analogy" } else { "a word-similarity" };
            return Err(Error::invalid(format!("{name} is not {what} benchmark")));
        }
        Some(_) | None if sources == Sources::Registered => return Err(unknown(name, analogies)),
        _ => return Ok(None),
    };
    let path = fetch::ensure(name, &Cache::from_env()?, progress)?;
    Ok(Some((path, format)))
}

fn read(path: &Path) -> Result<String> {
    vecspace_core::io::read_regular_to_string(path, vecspace_core::io::READ_LIMIT)
        .map_err(|source| Error::Io { path: path.to_owned(), source })
}

fn is_csv(path: &Path) -> bool {
    path.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv"))
}

/// An analogy set: a registered name, or (where files are taken) a Google-format file or a CSV.
pub fn analogy_set(set: &str, sources: Sources, progress: &dyn Progress) -> Result<AnalogySet> {
    let (path, format) = match registered(set, true, sources, progress)? {
        Some(found) => found,
        None => {
            let path = Path::new(set).to_owned();
            let format = if is_csv(&path) { BenchmarkFormat::CsvAnalogies } else { BenchmarkFormat::GoogleAnalogies };
            (path, format)
        }
    };
    let text = read(&path)?;
    let parsed = match format {
        BenchmarkFormat::CsvAnalogies => sets::read_csv_analogies(&text),
        _ => sets::read_google(&text),
    };
    parsed.map_err(|e| Error::invalid(format!("reading analogies from {}: {e}", path.display())))
}

/// A word-similarity set: a registered name, or (where files are taken) a tab-separated file or a
/// CSV.
pub fn pair_set(set: &str, sources: Sources, progress: &dyn Progress) -> Result<PairSet> {
    let (path, format) = match registered(set, false, sources, progress)? {
        Some(found) => found,
        None => {
            let path = Path::new(set).to_owned();
            let format =
                if is_csv(&path) { BenchmarkFormat::CsvPairs { strip_pos: false } } else { BenchmarkFormat::TabPairs };
            (path, format)
        }
    };
    let text = read(&path)?;
    let parsed = match format {
        BenchmarkFormat::CsvPairs { strip_pos } => sets::read_csv_pairs(&text, strip_pos),
        _ => sets::read_tab_pairs(&text),
    };
    parsed.map_err(|e| Error::invalid(format!("reading word pairs from {}: {e}", path.display())))
}

/// Answers every question of an analogy set. With an engine other than the exact scan, every
/// question goes through it, so the benchmark measures what the engine costs.
pub fn analogies(
    space: &Space,
    set: &AnalogySet,
    options: &AnalogyOptions,
    progress: &dyn Progress,
) -> Result<AnalogyReport> {
    let engine = space.engine();
    Ok(if engine.scans_every_row() {
        crate::eval::evaluate_analogies(space, set, options, progress)?
    } else {
        crate::eval::evaluate_analogies_with_engine(space, set, options, engine, progress)?
    })
}

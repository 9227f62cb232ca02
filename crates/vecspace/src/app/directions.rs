//! Saved directions: names ↔ files under `$VECSPACE_HOME/directions`, `@name` resolution for
//! expressions in every kind of space, saving with provenance and time, and building a direction
//! from examples (pairs, two sets, or scored examples for a held-out classifier).

use std::path::{Path, PathBuf};

use super::files::Overwrite;
use super::{Error, Result, clock};
use crate::direction::{self, Directions};
use crate::fetch::Cache;
use crate::formats;
use crate::{BuildMethod, Direction, DirectionInfo, Expr};

/// Where directions are kept, and how references to them are read.
#[derive(Debug, Clone)]
pub struct DirectionStore {
    dir: PathBuf,
    /// Whether a reference may be a file path (`x.safetensors`, `dir/x`); a server takes names
    /// only, so no request reaches outside the store.
    paths: bool,
}

/// Names of saved things: letters, digits, `-` and `_`, at most 64.
pub fn check_name(name: &str) -> Result<()> {
    let fine =
        !name.is_empty() && name.len() <= 64 && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if fine { Ok(()) } else { Err(Error::InvalidName { name: name.to_owned() }) }
}

impl DirectionStore {
    /// The store in the cache (`$VECSPACE_HOME/directions`); references may also be file paths.
    pub fn from_env() -> Result<DirectionStore> {
        Ok(DirectionStore::in_dir(Cache::from_env()?.directions_dir()))
    }

    /// A store in `dir`; references may also be file paths.
    pub fn in_dir(dir: impl Into<PathBuf>) -> DirectionStore {
        DirectionStore { dir: dir.into(), paths: true }
    }

    /// The same store, taking plain names only (letters, digits, `-`, `_`).
    pub fn names_only(self) -> DirectionStore {
        DirectionStore { paths: false, ..self }
    }

    /// The folder the named directions live in.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Whether `reference` names a file rather than a saved direction.
    fn is_path(&self, reference: &str) -> bool {
        self.paths && (reference.ends_with(".safetensors") || reference.contains('/'))
    }

    /// The file a reference names: a path as given, or a saved name's file.
    pub fn path(&self, reference: &str) -> Result<PathBuf> {
        if self.is_path(reference) {
            return Ok(PathBuf::from(reference));
        }
        if !self.paths {
            check_name(reference)?;
        }
        Ok(self.dir.join(format!("{reference}.safetensors")))
    }

    /// Whether the reference names a direction that exists.
    pub fn exists(&self, reference: &str) -> bool {
        self.path(reference).is_ok_and(|p| p.is_file())
    }

    /// Loads a direction and checks that it fits a space of `dims` dimensions.
    pub fn load(&self, reference: &str, dims: usize) -> Result<Direction> {
        let path = self.path(reference)?;
        if !self.is_path(reference) && !path.exists() {
            return Err(Error::UnknownDirection { name: reference.to_owned(), saved: self.names() });
        }
        let direction = formats::direction::read(&path)?;
        if direction.dims() != dims {
            return Err(Error::DirectionDoesNotFit {
                name: reference.to_owned(),
                built_in: direction.info.space.clone(),
                found: direction.dims(),
                expected: dims,
            });
        }
        Ok(direction)
    }

    /// The directions a parsed expression names with `@`, loaded and checked against `dims`.
    pub fn referenced(&self, expr: &Expr, dims: usize) -> Result<Directions> {
        let mut directions = Directions::new();
        for name in expr.names() {
            if let Some(reference) = name.strip_prefix('@') {
                directions.insert(reference.to_owned(), self.load(reference, dims)?.vector);
            }
        }
        Ok(directions)
    }

    /// Saves a direction under a reference (a name, or a path where paths are taken) and returns
    /// its file. An existing one is replaced only if `overwrite` allows. The write is atomic: a
    /// reader never sees half a file.
    pub fn save(&self, reference: &str, direction: &Direction, overwrite: Overwrite) -> Result<PathBuf> {
        let path = self.check_free(reference, overwrite)?;
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| Error::Io { path: dir.to_owned(), source })?;
        }
        formats::direction::write(direction, &path)?;
        Ok(path)
    }

    /// Checks that `reference` may be saved to: a valid name (or path) not yet taken unless
    /// `overwrite` allows, before any work towards it; returns its file.
    pub fn check_free(&self, reference: &str, overwrite: Overwrite) -> Result<PathBuf> {
        let path = self.path(reference)?;
        overwrite.check(path.exists(), || format!("direction {reference:?}"))?;
        Ok(path)
    }

    /// The names of the saved directions, sorted.
    pub fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = match std::fs::read_dir(&self.dir) {
            Ok(entries) => entries
                .filter_map(|e| e.ok()?.file_name().to_str()?.strip_suffix(".safetensors").map(str::to_owned))
                .collect(),
            Err(_) => Vec::new(),
        };
        names.sort();
        names
    }

    /// Every saved direction by name, read (or the reason it cannot be).
    pub fn list(&self) -> Vec<(String, Result<Direction>)> {
        self.names()
            .into_iter()
            .map(|name| {
                let read = formats::direction::read(&self.dir.join(format!("{name}.safetensors"))).map_err(Error::from);
                (name, read)
            })
            .collect()
    }
}

/// A file of scored examples: the highest-scoring share are the positive side, the lowest the
/// negative.
pub struct ScoresFile {
    /// CSV `latent,NAME,…` (as `vecspace latent score` writes) or `word,NAME,…`.
    pub file: PathBuf,
    /// The score column to use, when the file has several.
    pub column: Option<String>,
    /// The share taken from each end, in (0, 0.5].
    pub fraction: f64,
}

/// The examples a direction is built from.
#[derive(Default)]
pub struct Examples {
    /// Pairs (a, b): the direction points from a to b.
    pub pairs: Vec<(String, String)>,
    /// The negative side's examples.
    pub left: Vec<String>,
    /// The positive side's examples.
    pub right: Vec<String>,
    pub scored: Option<ScoresFile>,
}

/// Reads pairs written `A:B`.
pub fn parse_pairs(pairs: &[String]) -> Result<Vec<(String, String)>> {
    pairs
        .iter()
        .map(|p| match p.split_once(':') {
            Some((a, b)) if !a.is_empty() && !b.is_empty() => Ok((a.to_owned(), b.to_owned())),
            _ => Err(Error::invalid(format!("{p:?} is not a pair; write pairs as A:B, like he:she"))),
        })
        .collect()
}

/// The share of scored examples held out to measure a classifier (InterFaceGAN's 70/30 split).
pub const HELD_OUT: f64 = 0.3;

/// Builds a direction from examples, each turned into a vector by `vector` (a word lookup, or a
/// latent expression's evaluation), with its provenance: the space, the method, the examples,
/// which side is positive, the time, and a classifier's held-out accuracy.
pub fn build(
    space: &str,
    vector: &dyn Fn(&str) -> Result<Vec<f32>>,
    method: BuildMethod,
    given: &Examples,
    raw: bool,
) -> Result<Direction> {
    let Examples { pairs, left, right, scored } = given;
    let scored = match scored {
        Some(ScoresFile { file, column, fraction }) => {
            if method != BuildMethod::Classifier {
                return Err(Error::invalid("--scores trains a classifier; add --method classifier"));
            }
            if !pairs.is_empty() || !left.is_empty() || !right.is_empty() {
                return Err(Error::invalid(
                    "the examples come from --scores; leave out --pairs, --negative and --positive",
                ));
            }
            if !(*fraction > 0.0 && *fraction <= 0.5) {
                return Err(Error::invalid("--fraction is the share taken from each end: more than 0 and at most 0.5"));
            }
            Some((formats::scores::read(file, column.as_deref())?, *fraction, file))
        }
        None => None,
    };
    let vectors = |examples: &[String]| examples.iter().map(|e| vector(e)).collect::<Result<Vec<_>>>();
    let sets = !left.is_empty() || !right.is_empty();
    let (vector, examples, positive, accuracy) = match method {
        BuildMethod::Classifier if scored.is_some() => {
            let (scores, fraction, file) = scored.as_ref().expect("checked");
            let mut rows: Vec<&(String, f64)> = scores.rows.iter().collect();
            rows.sort_by(|a, b| a.1.total_cmp(&b.1));
            let take = (rows.len() as f64 * fraction).floor() as usize;
            let low: Vec<String> = rows[..take].iter().map(|r| r.0.clone()).collect();
            let high: Vec<String> = rows[rows.len() - take..].iter().map(|r| r.0.clone()).collect();
            let (l, r) = (vectors(&low)?, vectors(&high)?);
            let (normal, accuracy) = direction::classifier_held_out(&slices(&l), &slices(&r), HELD_OUT)?;
            let examples = format!(
                "the lowest and highest {take} of {} by {} in {} ({:.0} % held out)",
                rows.len(),
                scores.name,
                file.display(),
                HELD_OUT * 100.0
            );
            (normal, examples, format!("higher {}", scores.name), Some(accuracy))
        }
        // With two sets, the mean difference is the difference of the means.
        BuildMethod::MeanDiff if sets && pairs.is_empty() => {
            let (l, r) = (vectors(left)?, vectors(right)?);
            let examples = format!("negative: {} | positive: {}", left.join(" "), right.join(" "));
            (direction::centroid(&slices(&l), &slices(&r))?, examples, "the positive (right) set".to_owned(), None)
        }
        BuildMethod::MeanDiff | BuildMethod::Pca => {
            if sets {
                return Err(Error::invalid(format!(
                    "{method} builds from --pairs A:B, or (mean-diff) from --negative and --positive sets"
                )));
            }
            let a_words: Vec<String> = pairs.iter().map(|(a, _)| a.clone()).collect();
            let b_words: Vec<String> = pairs.iter().map(|(_, b)| b.clone()).collect();
            let (a, b) = (vectors(&a_words)?, vectors(&b_words)?);
            let refs: Vec<(&[f32], &[f32])> = a.iter().zip(&b).map(|(x, y)| (x.as_slice(), y.as_slice())).collect();
            let vector = match method {
                BuildMethod::MeanDiff => direction::mean_diff(&refs)?,
                _ => direction::pca(&refs)?,
            };
            let written: Vec<String> = pairs.iter().map(|(a, b)| format!("{a}:{b}")).collect();
            let positive = format!(
                "the right side of each pair ({} in {})",
                b_words.first().map_or("", String::as_str),
                written.first().map_or("", String::as_str)
            );
            (vector, written.join(" "), positive, None)
        }
        BuildMethod::Centroid | BuildMethod::Classifier => {
            if !pairs.is_empty() {
                return Err(Error::invalid(format!(
                    "{method} builds from --left and --right word sets; --pairs is for mean-diff and pca"
                )));
            }
            let (l, r) = (vectors(left)?, vectors(right)?);
            let (vector, accuracy) = match method {
                BuildMethod::Centroid => (direction::centroid(&slices(&l), &slices(&r))?, None),
                _ => {
                    let (normal, accuracy) = direction::classifier(&slices(&l), &slices(&r))?;
                    (normal, Some(accuracy))
                }
            };
            let examples = format!("left: {} | right: {}", left.join(" "), right.join(" "));
            (vector, examples, "the right set".to_owned(), accuracy)
        }
    };
    let info = DirectionInfo {
        space: space.to_owned(),
        method: format!("{method}{}", if raw { " (raw vectors)" } else { "" }),
        examples,
        positive,
        created: clock::now_rfc3339(),
        accuracy,
    };
    Ok(Direction { vector, info })
}

fn slices(vectors: &[Vec<f32>]) -> Vec<&[f32]> {
    vectors.iter().map(Vec::as_slice).collect()
}

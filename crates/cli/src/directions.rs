//! `vecspace direction …` and `vecspace along`: building, saving, showing and measuring along
//! directions, and loading the `@name`s an expression uses.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::Subcommand;
use serde::Serialize;
use vecspace::direction::{self, Directions};
use vecspace::fetch::Cache;
use vecspace::formats;
use vecspace::{BuildMethod, Direction, DirectionInfo};

use crate::SpaceArgs;
use crate::spaces::{self, Opened};

#[derive(Subcommand)]
pub enum DirectionCommand {
    /// Build a direction from examples and save it (by name, or to a .safetensors path).
    Build {
        /// A name (saved under $VECSPACE_HOME/directions, used as @NAME in expressions) or a
        /// path ending in .safetensors.
        #[arg(long)]
        out: String,
        /// mean-diff or pca (from --pairs); centroid or classifier (from --left and --right).
        #[arg(long, default_value = "mean-diff")]
        method: BuildMethod,
        /// Word pairs A:B; the direction points from A to B (he:she points she-ward).
        #[arg(long, num_args = 1..)]
        pairs: Vec<String>,
        /// The negative side's examples, for centroid and classifier (words, or latent
        /// expressions such as seed:12 when --space is an image generator).
        #[arg(long, visible_alias = "negative", num_args = 1..)]
        left: Vec<String>,
        /// The positive side's examples.
        #[arg(long, visible_alias = "positive", num_args = 1..)]
        right: Vec<String>,
        /// Use raw word vectors instead of unit-normalised ones.
        #[arg(long)]
        raw: bool,
        /// Scored examples for a classifier (CSV `latent,NAME,…` as `vecspace latent score`
        /// writes, or `word,NAME,…`): the boundary separates the highest-scoring examples from
        /// the lowest (InterFaceGAN), and its accuracy on a held-out 30 % is reported.
        #[arg(long)]
        scores: Option<PathBuf>,
        /// The score column to use, when the file has several.
        #[arg(long)]
        column: Option<String>,
        /// The share of the scored examples taken from each end (the top share positive, the
        /// bottom share negative).
        #[arg(long, default_value_t = 0.2)]
        fraction: f64,
        /// Latents named z:0, z:1, … in the examples (image generators): a .npy array of shape
        /// (100,) or (n, 100).
        #[arg(long)]
        z_file: Option<PathBuf>,
    },
    /// Show where a direction came from and the words at each end.
    Show {
        direction: String,
        #[arg(long, short = 'k', default_value_t = 10)]
        top: usize,
        /// Only the first N words are shown at the ends (rare words are noisy).
        #[arg(long, default_value_t = 50_000)]
        restrict_vocab: usize,
    },
    /// List the saved directions.
    List,
}

/// The file a direction reference names: a path, or a saved name.
pub fn direction_path(reference: &str) -> Result<PathBuf> {
    if reference.ends_with(".safetensors") || reference.contains('/') {
        return Ok(PathBuf::from(reference));
    }
    Ok(Cache::from_env()?.direction_path(reference))
}

/// Loads a direction and checks that it fits a space of `dims` dimensions.
pub fn load(reference: &str, dims: usize) -> Result<Direction> {
    let path = direction_path(reference)?;
    if !path.exists() {
        let saved = saved_names().unwrap_or_default();
        let listed = if saved.is_empty() { "none yet".to_owned() } else { saved.join(", ") };
        bail!("no direction {reference:?} ({} does not exist); saved directions: {listed}", path.display());
    }
    let direction = formats::direction::read(&path)?;
    direction.check_dims(dims).with_context(|| {
        format!("direction {reference:?} was built in {:?} and does not fit this space", direction.info.space)
    })?;
    Ok(direction)
}

/// The directions an expression names with `@`, loaded and checked against `dims`.
pub fn referenced(expression: &str, dims: usize) -> Result<Directions> {
    let mut directions = Directions::new();
    // A parse error is reported by the evaluation itself, with its caret.
    let Ok(expr) = vecspace::expr::parse(expression) else { return Ok(directions) };
    for name in expr.names() {
        if let Some(reference) = name.strip_prefix('@') {
            directions.insert(reference.to_owned(), load(reference, dims)?.vector);
        }
    }
    Ok(directions)
}

fn saved_names() -> Result<Vec<String>> {
    let dir = Cache::from_env()?.directions_dir();
    let mut names: Vec<String> = match std::fs::read_dir(&dir) {
        Ok(entries) => entries
            .filter_map(|e| e.ok()?.file_name().to_str()?.strip_suffix(".safetensors").map(str::to_owned))
            .collect(),
        Err(_) => Vec::new(),
    };
    names.sort();
    Ok(names)
}

pub fn run(command: DirectionCommand, args: &SpaceArgs) -> Result<()> {
    match command {
        DirectionCommand::Build { out, method, pairs, left, right, raw, scores, column, fraction, z_file } => {
            let path = direction_path(&out)?;
            let scored = match scores {
                Some(file) => {
                    if method != BuildMethod::Classifier {
                        bail!("--scores trains a classifier; add --method classifier");
                    }
                    if !pairs.is_empty() || !left.is_empty() || !right.is_empty() {
                        bail!("the examples come from --scores; leave out --pairs, --negative and --positive");
                    }
                    if !(fraction > 0.0 && fraction <= 0.5) {
                        bail!("--fraction is the share taken from each end: more than 0 and at most 0.5");
                    }
                    Some(Scored { scores: formats::scores::read(&file, column.as_deref())?, fraction, file })
                }
                None => None,
            };
            let examples = Examples { pairs: &pairs, left: &left, right: &right, scored: scored.as_ref() };
            let generator = vecspace::fetch::registry::find(&args.space)
                .filter(|e| e.kind == vecspace::fetch::Kind::ImageGenerator);
            let (direction, opened) = match generator {
                Some(entry) => {
                    // A generator's latent space: examples are latent expressions.
                    let given = crate::latent::given_latents(z_file.as_deref())?;
                    let latent = |example: &str| crate::latent::evaluate(example, &given);
                    (build(entry.name, &latent, method, &examples, raw)?, None)
                }
                None => {
                    if z_file.is_some() {
                        bail!("--z-file gives latents of an image generator; {} is not one", args.space);
                    }
                    let opened = spaces::open(args)?;
                    let space = &opened.space;
                    let word = |w: &str| -> Result<Vec<f32>> {
                        let row = space.lookup(w)?;
                        Ok(if raw { space.raw_vector(row).to_vec() } else { space.unit_vector(row) })
                    };
                    (build(&opened.name, &word, method, &examples, raw)?, Some(opened))
                }
            };
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
            }
            formats::direction::write(&direction, &path)?;
            eprintln!("saved {} ({} dims) to {}", out, direction.dims(), path.display());
            match opened {
                Some(opened) => show(&opened, &direction, &out, 8, 50_000, args.json),
                None => {
                    let info = &direction.info;
                    println!(
                        "@{out}: {} in {} ({} dims), from {}",
                        info.method,
                        info.space,
                        direction.dims(),
                        info.examples
                    );
                    if let Some(accuracy) = info.accuracy {
                        println!("  held-out accuracy {:.1} %", accuracy * 100.0);
                    }
                    Ok(())
                }
            }
        }
        DirectionCommand::Show { direction, top, restrict_vocab } => {
            let opened = spaces::open(args)?;
            let loaded = load(&direction, opened.space.dims())?;
            show(&opened, &loaded, &direction, top, restrict_vocab, args.json)
        }
        DirectionCommand::List => {
            let cache = Cache::from_env()?;
            for name in saved_names()? {
                let info = formats::direction::read(&cache.direction_path(&name)).map(|d| d.info);
                match info {
                    Ok(info) => println!("@{name:<16} {} from {} in {}", info.method, info.examples, info.space),
                    Err(e) => println!("@{name:<16} unreadable: {e}"),
                }
            }
            Ok(())
        }
    }
}

/// Examples read from a scores file.
struct Scored {
    scores: formats::scores::Scores,
    fraction: f64,
    file: PathBuf,
}

/// The examples a direction is built from, as given on the command line.
struct Examples<'a> {
    pairs: &'a [String],
    left: &'a [String],
    right: &'a [String],
    scored: Option<&'a Scored>,
}

/// The share of scored examples held out to measure a classifier (InterFaceGAN's 70/30 split).
const HELD_OUT: f64 = 0.3;

/// Builds a direction from examples, each turned into a vector by `vector` (a word lookup, or a
/// latent expression's evaluation).
fn build(
    space: &str,
    vector: &dyn Fn(&str) -> Result<Vec<f32>>,
    method: BuildMethod,
    given: &Examples,
    raw: bool,
) -> Result<Direction> {
    let Examples { pairs, left, right, scored } = *given;
    let vectors = |examples: &[String]| examples.iter().map(|e| vector(e)).collect::<Result<Vec<_>>>();
    let sets = !left.is_empty() || !right.is_empty();
    let (vector, examples, positive, accuracy) = match method {
        BuildMethod::Classifier if scored.is_some() => {
            let Scored { scores, fraction, file } = scored.expect("checked");
            let mut rows: Vec<&(String, f64)> = scores.rows.iter().collect();
            rows.sort_by(|a, b| a.1.total_cmp(&b.1));
            let take = (rows.len() as f64 * fraction).floor() as usize;
            let (low, high): (Vec<String>, Vec<String>) = (
                rows[..take].iter().map(|r| r.0.clone()).collect(),
                rows[rows.len() - take..].iter().map(|r| r.0.clone()).collect(),
            );
            let (l, r) = (vectors(&low)?, vectors(&high)?);
            let lr: Vec<&[f32]> = l.iter().map(Vec::as_slice).collect();
            let rr: Vec<&[f32]> = r.iter().map(Vec::as_slice).collect();
            let (normal, accuracy) = direction::classifier_held_out(&lr, &rr, HELD_OUT)?;
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
            let lr: Vec<&[f32]> = l.iter().map(Vec::as_slice).collect();
            let rr: Vec<&[f32]> = r.iter().map(Vec::as_slice).collect();
            let examples = format!("negative: {} | positive: {}", left.join(" "), right.join(" "));
            (direction::centroid(&lr, &rr)?, examples, "the positive (right) set".to_owned(), None)
        }
        BuildMethod::MeanDiff | BuildMethod::Pca => {
            if sets {
                bail!("{method} builds from --pairs A:B, or (mean-diff) from --negative and --positive sets");
            }
            let split: Vec<(String, String)> = pairs
                .iter()
                .map(|p| match p.split_once(':') {
                    Some((a, b)) if !a.is_empty() && !b.is_empty() => Ok((a.to_owned(), b.to_owned())),
                    _ => bail!("{p:?} is not a pair; write pairs as A:B, like he:she"),
                })
                .collect::<Result<_>>()?;
            let (a_words, b_words): (Vec<String>, Vec<String>) = split.into_iter().unzip();
            let (a, b) = (vectors(&a_words)?, vectors(&b_words)?);
            let refs: Vec<(&[f32], &[f32])> = a.iter().zip(&b).map(|(x, y)| (x.as_slice(), y.as_slice())).collect();
            let vector = match method {
                BuildMethod::MeanDiff => direction::mean_diff(&refs)?,
                _ => direction::pca(&refs)?,
            };
            let positive = format!(
                "the right side of each pair ({} in {})",
                b_words.first().map_or("", String::as_str),
                pairs.first().map_or("", String::as_str)
            );
            (vector, pairs.join(" "), positive, None)
        }
        BuildMethod::Centroid | BuildMethod::Classifier => {
            if !pairs.is_empty() {
                bail!("{method} builds from --left and --right word sets; --pairs is for mean-diff and pca");
            }
            let (l, r) = (vectors(left)?, vectors(right)?);
            let lr: Vec<&[f32]> = l.iter().map(Vec::as_slice).collect();
            let rr: Vec<&[f32]> = r.iter().map(Vec::as_slice).collect();
            let (vector, accuracy) = match method {
                BuildMethod::Centroid => (direction::centroid(&lr, &rr)?, None),
                _ => {
                    let (normal, accuracy) = direction::classifier(&lr, &rr)?;
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
        created: now_rfc3339(),
        accuracy,
    };
    Ok(Direction { vector, info })
}

#[derive(Serialize)]
struct Projection<'a> {
    word: &'a str,
    projection: f32,
}

/// Rows sorted from the most positive projection down (ties by row), non-finite ones left out.
fn ranked(projections: &[f32], rows: impl Iterator<Item = usize>) -> Vec<usize> {
    let mut order: Vec<usize> = rows.filter(|&r| projections[r].is_finite()).collect();
    order.sort_by(|&a, &b| projections[b].total_cmp(&projections[a]).then(a.cmp(&b)));
    order
}

fn show(opened: &Opened, direction: &Direction, name: &str, top: usize, restrict: usize, json: bool) -> Result<()> {
    let space = &opened.space;
    let projections = space.projections(&direction.vector, true)?;
    let order = ranked(&projections, 0..restrict.min(space.len()));
    let positive: Vec<Projection> =
        order.iter().take(top).map(|&r| Projection { word: space.word(r), projection: projections[r] }).collect();
    let negative: Vec<Projection> =
        order.iter().rev().take(top).map(|&r| Projection { word: space.word(r), projection: projections[r] }).collect();
    let info = &direction.info;
    let length = vecspace::length(&direction.vector);
    if json {
        #[derive(Serialize)]
        struct Out<'a> {
            name: &'a str,
            space: &'a str,
            method: &'a str,
            examples: &'a str,
            positive_side: &'a str,
            created: &'a str,
            dims: usize,
            length: f64,
            accuracy: Option<f64>,
            most_positive: Vec<Projection<'a>>,
            most_negative: Vec<Projection<'a>>,
        }
        let out = Out {
            name,
            space: &info.space,
            method: &info.method,
            examples: &info.examples,
            positive_side: &info.positive,
            created: &info.created,
            dims: direction.dims(),
            length,
            accuracy: info.accuracy,
            most_positive: positive,
            most_negative: negative,
        };
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    println!(
        "@{name}: {} in {} ({} dims, length {length:.4}), built {}",
        info.method,
        info.space,
        direction.dims(),
        info.created
    );
    println!("  from      {}", info.examples);
    println!("  positive  {}", info.positive);
    if let Some(accuracy) = info.accuracy {
        println!("  held-out accuracy {:.1} %", accuracy * 100.0);
    }
    let words = |list: &[Projection]| {
        list.iter().map(|p| format!("{} {:+.3}", p.word, p.projection)).collect::<Vec<_>>().join(", ")
    };
    println!("  + end     {}", words(&positive));
    println!("  − end     {}", words(&negative));
    Ok(())
}

/// `vecspace along`: words by their projection on a direction.
pub fn along(args: &SpaceArgs, reference: &str, words: &[String], top: Option<usize>, restrict: usize) -> Result<()> {
    let opened = spaces::open(args)?;
    let space = &opened.space;
    let direction = load(reference, space.dims())?;
    let projections = space.projections(&direction.vector, true)?;
    let mut rows: Vec<usize> = if words.is_empty() {
        let Some(top) = top else { bail!("name words to place, or ask for the ends with --top N") };
        let order = ranked(&projections, 0..restrict.min(space.len()));
        let mut ends: Vec<usize> = order.iter().take(top).copied().collect();
        ends.extend(order.iter().rev().take(top).rev());
        ends
    } else {
        words.iter().map(|w| space.lookup(w)).collect::<vecspace::Result<_>>()?
    };
    rows.sort_by(|&a, &b| projections[b].total_cmp(&projections[a]).then(a.cmp(&b)));
    rows.dedup();
    let list: Vec<Projection> =
        rows.iter().map(|&r| Projection { word: space.word(r), projection: projections[r] }).collect();
    if args.json {
        #[derive(Serialize)]
        struct Out<'a> {
            direction: &'a str,
            space: &'a str,
            positive_side: &'a str,
            results: &'a [Projection<'a>],
        }
        let out =
            Out { direction: reference, space: &opened.name, positive_side: &direction.info.positive, results: &list };
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    println!("along @{reference} (+ is {})", direction.info.positive);
    let width = list.iter().map(|p| p.word.chars().count()).max().unwrap_or(4);
    for p in &list {
        let bar = "█".repeat((p.projection.abs() * 40.0).round().min(40.0) as usize);
        let (left, right) = if p.projection < 0.0 { (bar, String::new()) } else { (String::new(), bar) };
        println!("  {:<width$}  {:+.4}  {left:>40}|{right}", p.word, p.projection);
    }
    Ok(())
}

/// Now as RFC 3339 UTC, to the second.
fn now_rfc3339() -> String {
    let seconds = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let (days, rest) = (seconds / 86_400, seconds % 86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z", rest / 3600, rest % 3600 / 60, rest % 60)
}

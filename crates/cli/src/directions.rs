//! `vecspace direction …` and `vecspace along`: building, saving, showing and measuring along
//! directions, and loading the `@name`s an expression uses.

use std::path::PathBuf;

use anyhow::{Result, bail};
use clap::Subcommand;
use serde::Serialize;
use vecspace::app::directions::{Examples, ScoresFile};
use vecspace::app::words::Placed;
use vecspace::app::{self, DirectionStore, Opened};
use vecspace::{BuildMethod, Direction};

use crate::SpaceArgs;
use crate::spaces;

#[derive(Subcommand)]
pub enum DirectionCommand {
    /// Build a direction from examples and save it (by name, or to a .safetensors path).
    Build {
        /// A name (saved under $VECSPACE_HOME/directions, used as @NAME in expressions) or a
        /// path ending in .safetensors.
        #[arg(long)]
        out: String,
        /// Replace the output if it exists.
        #[arg(long)]
        force: bool,
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
    /// Find directions in an image generator's latent space without labels (SeFa or GANSpace),
    /// save them as @pc1, @pc2, … with their provenance, and draw them as a sheet.
    #[cfg(feature = "latent")]
    Discover {
        /// sefa (closed form from the first layer's weight; seconds) or ganspace (principal
        /// components of a layer's activations over sampled latents).
        #[arg(long, default_value = "sefa")]
        method: String,
        /// How many directions.
        #[arg(long, default_value_t = 10)]
        top: usize,
        /// Names: PREFIX1, PREFIX2, ….
        #[arg(long, default_value = "pc")]
        prefix: String,
        /// Replace directions of those names.
        #[arg(long)]
        force: bool,
        /// GANSpace: the layer whose activations are analysed (1 to 4).
        #[arg(long, default_value_t = 1)]
        layer: usize,
        /// GANSpace: how many latents are sampled.
        #[arg(long, default_value_t = 10_000)]
        samples: usize,
        /// Draw each direction as a row of faces swept across --range on each of --seeds into
        /// this PNG.
        #[arg(long)]
        sheet: Option<PathBuf>,
        /// The sheet's faces.
        #[arg(long, default_value = "0,1,2")]
        seeds: String,
        /// The sheet's sweep, in units of the latents' spread (σ).
        #[arg(long, default_value = "-3..3", allow_hyphen_values = true)]
        range: String,
        #[arg(long, default_value_t = 5)]
        steps: usize,
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

/// The direction store in the cache; references may be names or `.safetensors` paths.
pub fn store() -> Result<DirectionStore> {
    Ok(DirectionStore::from_env()?)
}

/// Loads a direction and checks that it fits a space of `dims` dimensions.
pub fn load(reference: &str, dims: usize) -> Result<Direction> {
    Ok(store()?.load(reference, dims)?)
}

pub fn run(command: DirectionCommand, args: &SpaceArgs) -> Result<()> {
    match command {
        DirectionCommand::Build { out, force, method, pairs, left, right, raw, scores, column, fraction, z_file } => {
            let store = store()?;
            // Refused before the work, not after it.
            let overwrite = app::files::Overwrite::force(force);
            store.check_free(&out, overwrite)?;
            let examples = Examples {
                pairs: app::directions::parse_pairs(&pairs)?,
                left,
                right,
                scored: scores.map(|file| ScoresFile { file, column, fraction }),
            };
            let generator = vecspace::fetch::registry::find(&args.space)
                .filter(|e| e.kind == vecspace::fetch::Kind::ImageGenerator);
            let (direction, opened) = match generator {
                #[cfg(feature = "latent")]
                Some(entry) => {
                    // A generator's latent space: examples are latent expressions.
                    let given = app::latent::given_latents(z_file.as_deref())?;
                    let latent = |example: &str| app::latent::evaluate(&store, example, &given);
                    (app::directions::build(entry.name, &latent, method, &examples, raw)?, None)
                }
                _ => {
                    if z_file.is_some() {
                        bail!("--z-file gives latents of an image generator; {} is not one", args.space);
                    }
                    let opened = spaces::open(args)?;
                    let space = &opened.space;
                    let word = |w: &str| -> app::Result<Vec<f32>> {
                        let row = space.lookup(w)?;
                        Ok(if raw { space.raw_vector(row).to_vec() } else { space.unit_vector(row) })
                    };
                    (app::directions::build(&opened.name, &word, method, &examples, raw)?, Some(opened))
                }
            };
            let path = store.save(&out, &direction, overwrite)?;
            eprintln!("saved {} ({} dims) to {}", out, direction.dims(), path.display());
            match opened {
                Some(opened) => show(&opened, &direction, &out, 8, 50_000, args.json),
                None => {
                    let info = &direction.info;
                    outln!(
                        "@{out}: {} in {} ({} dims), from {}",
                        info.method,
                        info.space,
                        direction.dims(),
                        info.examples
                    )?;
                    if let Some(accuracy) = info.accuracy {
                        outln!("  held-out accuracy {:.1} %", accuracy * 100.0)?;
                    }
                    Ok(())
                }
            }
        }
        #[cfg(feature = "latent")]
        DirectionCommand::Discover { method, top, prefix, force, layer, samples, sheet, seeds, range, steps } => {
            crate::latent::discover(
                &args.space,
                app::latent::Discovery {
                    method: method.parse()?,
                    top,
                    prefix,
                    ganspace: vecspace::latent::discover::GanspaceOptions { layer, samples, ..Default::default() },
                    overwrite: app::files::Overwrite::force(force),
                },
                sheet.as_deref(),
                &seeds,
                &range,
                steps,
                args.json,
            )
        }
        DirectionCommand::Show { direction, top, restrict_vocab } => {
            let opened = spaces::open(args)?;
            let loaded = load(&direction, opened.space.dims())?;
            show(&opened, &loaded, &direction, top, restrict_vocab, args.json)
        }
        DirectionCommand::List => {
            for (name, read) in store()?.list() {
                match read {
                    Ok(d) => outln!("@{name:<16} {} from {} in {}", d.info.method, d.info.examples, d.info.space)?,
                    Err(e) => outln!("@{name:<16} unreadable: {e}")?,
                }
            }
            Ok(())
        }
    }
}

#[derive(Serialize)]
struct Projection<'a> {
    word: &'a str,
    projection: f32,
}

fn projections(placed: &[Placed]) -> Vec<Projection<'_>> {
    placed.iter().map(|p| Projection { word: &p.word, projection: p.projection }).collect()
}

fn show(opened: &Opened, direction: &Direction, name: &str, top: usize, restrict: usize, json: bool) -> Result<()> {
    let (positive, negative) = app::words::ends(&opened.space, direction, top, restrict)?;
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
            most_positive: projections(&positive),
            most_negative: projections(&negative),
        };
        outln!("{}", serde_json::to_string_pretty(&out)?)?;
        return Ok(());
    }
    outln!(
        "@{name}: {} in {} ({} dims, length {length:.4}), built {}",
        info.method,
        info.space,
        direction.dims(),
        info.created
    )?;
    outln!("  from      {}", info.examples)?;
    outln!("  positive  {}", info.positive)?;
    if let Some(accuracy) = info.accuracy {
        outln!("  held-out accuracy {:.1} %", accuracy * 100.0)?;
    }
    let words = |list: &[Placed]| {
        list.iter().map(|p| format!("{} {:+.3}", p.word, p.projection)).collect::<Vec<_>>().join(", ")
    };
    outln!("  + end     {}", words(&positive))?;
    outln!("  − end     {}", words(&negative))?;
    Ok(())
}

/// `vecspace along`: words by their projection on a direction.
pub fn along(args: &SpaceArgs, reference: &str, words: &[String], top: Option<usize>, restrict: usize) -> Result<()> {
    let opened = spaces::open(args)?;
    let direction = load(reference, opened.space.dims())?;
    let placed = app::words::along(&opened.space, &direction, words, top, restrict)?;
    let list = projections(&placed);
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
        outln!("{}", serde_json::to_string_pretty(&out)?)?;
        return Ok(());
    }
    outln!("along @{reference} (+ is {})", direction.info.positive)?;
    let width = list.iter().map(|p| p.word.chars().count()).max().unwrap_or(4);
    for p in &list {
        let bar = "█".repeat((p.projection.abs() * 40.0).round().min(40.0) as usize);
        let (left, right) = if p.projection < 0.0 { (bar, String::new()) } else { (String::new(), bar) };
        outln!("  {:<width$}  {:+.4}  {left:>40}|{right}", p.word, p.projection)?;
    }
    Ok(())
}

//! `vecspace latent …`: faces from a registered image generator — grids of seeds and renders of
//! latent expressions such as `seed:12 + 1.5*@smile` or `slerp(seed:1, seed:2, 0.3)`.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use serde::Serialize;
use vecspace::app;
use vecspace::app::latent::FacesOut;
use vecspace::latent::{self, Attribute, Dcgan, Images, dcgan};

use crate::directions;
use crate::progress::Bars;

/// Most faces one picture holds.
const MOST_FACES: usize = 1024;

/// Options every `latent` subcommand takes.
#[derive(Args)]
pub struct LatentArgs {
    #[command(subcommand)]
    command: LatentCommand,
    /// The generator: face-dcgan-celeba or face-dcgan-digiface.
    #[arg(long, global = true, default_value = latent::DEFAULT_MODEL)]
    model: String,
    /// Latents of your own: a .npy array of shape (100,) or (n, 100), named z:0, z:1, … in
    /// expressions.
    #[arg(long, global = true)]
    z_file: Option<PathBuf>,
}

#[derive(Subcommand)]
enum LatentCommand {
    /// A labelled grid of the faces of many seeds.
    Sample {
        /// Seeds: a range 0..63 (inclusive), a list 1,5,9, or both.
        #[arg(long, default_value = "0..31")]
        seeds: String,
        /// Where the faces go: a .png (a captioned grid), a folder ending in / (one plain PNG per
        /// face) or a .npy (their pixels, shape (n, 64, 64, 3), in [-1, 1]).
        #[arg(long, visible_alias = "out")]
        grid: PathBuf,
        #[arg(long, default_value_t = 8)]
        columns: usize,
        /// Enlargement of each 64×64 face.
        #[arg(long, default_value_t = 2)]
        scale: usize,
    },
    /// Faces of latent expressions (seed:N, z:N, @direction, mean, slerp, …) in one picture; with
    /// --z-file and no expressions, every given latent.
    Render {
        expressions: Vec<String>,
        /// Where the faces go: a .png (a captioned grid), a folder ending in / (one plain PNG per
        /// face) or a .npy (their pixels, shape (n, 64, 64, 3), in [-1, 1]).
        #[arg(long)]
        out: PathBuf,
        #[arg(long, default_value_t = 8)]
        columns: usize,
        #[arg(long, default_value_t = 2)]
        scale: usize,
    },
    /// Frames between two latents (expressions), by spherical or linear interpolation.
    Interpolate {
        from: String,
        to: String,
        #[arg(long, default_value_t = 8)]
        steps: usize,
        /// slerp (default; stays on the sphere where Gaussian latents live) or lerp.
        #[arg(long, default_value = "slerp")]
        method: String,
        #[arg(long)]
        out: PathBuf,
        #[arg(long, default_value_t = 2)]
        scale: usize,
    },
    /// A sweep along a direction: the latent moved k units along its unit vector, k across a range.
    Edit {
        /// The latent to edit (an expression such as seed:7).
        latent: String,
        #[command(flatten)]
        sweep: SweepArgs,
        /// Print this attribute's value (see `latent score`) under each frame.
        #[arg(long)]
        attribute: Option<String>,
        #[arg(long)]
        out: PathBuf,
        #[arg(long, default_value_t = 2)]
        scale: usize,
    },
    /// A visual analogy as in the DCGAN paper: A is to B as C is to B − A + C. Each of A, B, C is
    /// an expression, typically the mean of a few exemplars: "mean(seed:5, seed:6, seed:7)".
    Analogy {
        a: String,
        b: String,
        c: String,
        /// How many variants of the result with uniform noise added, to show it is not one lucky
        /// point.
        #[arg(long, default_value_t = 8)]
        variants: usize,
        /// The half-width of the uniform noise added to each coordinate of a variant.
        #[arg(long, default_value_t = 0.25)]
        noise: f64,
        /// Seed of the noise.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        #[arg(long)]
        out: PathBuf,
        #[arg(long, default_value_t = 2)]
        scale: usize,
    },
    /// Measure faces from their pixels (brightness, background, eye-darkness, mouth-contrast) and
    /// write the scores as CSV, for `direction build --method classifier --scores`.
    Score {
        /// Seeds to score (with --z-file, every given latent is scored instead).
        #[arg(long, default_value = "0..1999")]
        seeds: String,
        /// Which attributes (comma-separated; default: all).
        #[arg(long, value_delimiter = ',')]
        attributes: Vec<String>,
        /// The CSV to write: latent,ATTRIBUTE,…
        #[arg(long)]
        out: PathBuf,
    },
    /// Measure an edit direction: sweep many latents along it, score every frame with an
    /// attribute, and compare with random directions of the same length.
    Measure {
        #[command(flatten)]
        sweep: SweepArgs,
        /// The attribute the direction should move.
        #[arg(long)]
        attribute: String,
        /// The latents to sweep (seeds outside the default scoring range 0..1999, so a direction
        /// learned from those scores is measured on faces it never saw); with --z-file, the given
        /// latents instead.
        #[arg(long, default_value = "5000..5023")]
        seeds: String,
        /// Random directions are seed:(BASE + i), made unit length, for the i-th latent.
        #[arg(long, default_value_t = 1 << 40)]
        random_base: u64,
        /// Also draw the first few latents' sweeps, one row each, with their scores, into this PNG.
        #[arg(long)]
        sweeps: Option<PathBuf>,
        /// How many rows the picture shows.
        #[arg(long, default_value_t = 4)]
        rows: usize,
    },
    /// Find the latent whose face comes closest to each image (PNG; its centred square is scaled to
    /// 64 × 64, as the training faces were): gradient descent on the pixel error through the
    /// generator, from several starts. Writes the latents (.npy: (100,) for one image, (n, 100)
    /// for several), the found faces beside them (.png) and each image beside its face
    /// (-compare.png); edit them with `--z-file OUT.npy` and `z:0`.
    Invert {
        #[arg(required = true)]
        images: Vec<PathBuf>,
        /// The latents' .npy file.
        #[arg(long)]
        out: PathBuf,
        /// Invert only this square of each image: LEFT,TOP,SIZE in pixels (frame the face as the
        /// training faces were: eyes a little above the middle, hair to the edges).
        #[arg(long)]
        crop: Option<app::latent::Crop>,
        /// Gradient steps of each start.
        #[arg(long, default_value_t = latent::InvertOptions::default().steps)]
        steps: usize,
        /// Starts per image, searched side by side; more find closer faces and take longer.
        #[arg(long, default_value_t = latent::InvertOptions::default().starts)]
        starts: usize,
        /// Random latents scored before the descent; the closest become the starts.
        #[arg(long, default_value_t = latent::InvertOptions::default().candidates)]
        pool: usize,
        /// Adam's first step size (it decays to a tenth).
        #[arg(long, default_value_t = latent::InvertOptions::default().learning_rate)]
        learning_rate: f32,
        /// The pool is seed:SEED, seed:SEED+1, …
        #[arg(long, default_value_t = latent::InvertOptions::default().seed)]
        seed: u64,
    },
    /// Make a direction local: keep its effect while changing the image outside an attribute's
    /// region as little as possible (a ridge solve against the generator's Jacobian, LowRankGAN-
    /// style). Saves a new direction.
    Localize {
        /// The direction to localise (a saved name or a .safetensors path).
        direction: String,
        /// The attribute whose region the edit should stay in.
        #[arg(long)]
        attribute: String,
        /// The localised direction: a name or a .safetensors path.
        #[arg(long)]
        out: String,
        /// Replace the output if it exists.
        #[arg(long)]
        force: bool,
        /// The latents whose Jacobians are averaged (each costs 101 generator runs); with --z-file,
        /// the given latents instead.
        #[arg(long, default_value = "3000..3031")]
        seeds: String,
        /// Regularisation as a share of the mean sensitivity: smaller is more local, larger keeps
        /// more of the original direction.
        #[arg(long, default_value_t = 0.05)]
        ridge: f64,
    },
}

/// A direction and the strengths to move along it.
#[derive(Args)]
struct SweepArgs {
    /// The direction (a saved name or a .safetensors path).
    #[arg(long)]
    direction: String,
    /// The range of k, in units of the latents' standard deviation (1 for these Gaussian latents).
    #[arg(long, default_value = "-3..3", allow_hyphen_values = true)]
    range: String,
    #[arg(long, default_value_t = 7)]
    steps: usize,
    /// Directions to keep unchanged: the edit direction is made orthogonal to them first
    /// (InterFaceGAN's conditional manipulation).
    #[arg(long, num_args = 1..)]
    keep: Vec<String>,
}

impl SweepArgs {
    /// The unit edit direction (orthogonal to the kept ones) and the strengths.
    fn resolve(&self) -> Result<(Vec<f64>, Vec<f64>)> {
        let (low, high) = parse_range(&self.range)?;
        let d = directions::load(&self.direction, dcgan::LATENT_DIMS)?.vector;
        let kept = self
            .keep
            .iter()
            .map(|k| Ok(directions::load(k, dcgan::LATENT_DIMS)?.vector))
            .collect::<Result<Vec<_>>>()?;
        Ok((app::latent::orthogonal_unit(&d, &kept)?, app::latent::spaced(low, high, self.steps)?))
    }

    /// `@name`, or `@stem` for a direction given as a path (titles stay short), with the kept ones.
    fn describe(&self) -> String {
        let short = |reference: &str| {
            let stem = Path::new(reference).file_stem().and_then(|s| s.to_str()).unwrap_or(reference);
            format!("@{stem}")
        };
        let mut text = short(&self.direction);
        if !self.keep.is_empty() {
            let kept: Vec<String> = self.keep.iter().map(|k| short(k)).collect();
            text = format!("{text} keeping {}", kept.join(", "));
        }
        text
    }
}

/// Fetches (on first use) and loads a registered generator.
pub fn generator(name: &str) -> Result<Dcgan> {
    Ok(vecspace::open_generator(name, &Bars::new())?)
}

fn check_extension(path: &Path, extension: &str) -> Result<()> {
    if path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() != Some(extension) {
        bail!("{} should be a .{extension} file", path.display());
    }
    Ok(())
}

fn check_png(path: &Path) -> Result<()> {
    check_extension(path, "png")
}

/// Writes faces as `out` asks (see [`app::latent::FacesOut`]) and says where.
fn save(
    images: &Images,
    captions: Vec<String>,
    columns: usize,
    scale: usize,
    title: &str,
    out: &FacesOut,
) -> Result<()> {
    eprintln!("{}", app::latent::write_faces(images, captions, columns, scale, title, out)?);
    Ok(())
}

/// `direction discover`: finds and saves the directions, prints them, and draws the sheet.
pub fn discover(
    model: &str,
    request: app::latent::Discovery,
    sheet: Option<&Path>,
    seeds: &str,
    range: &str,
    steps: usize,
    json: bool,
) -> Result<()> {
    if latent::model(model).is_none() {
        bail!(
            "direction discover works in an image generator's latent space (--space face-dcgan-celeba or face-dcgan-digiface), not in {model}"
        );
    }
    // Everything the sheet needs is checked before the work.
    let sheet_plan = match sheet {
        Some(path) => {
            check_png(path)?;
            let seeds = latent::parse_seeds(seeds, 16)?;
            let (low, high) = parse_range(range)?;
            Some((path, seeds, app::latent::spaced(low, high, steps)?))
        }
        None => None,
    };
    let store = directions::store()?;
    let generator = generator(model)?;
    let found = app::latent::discover(&store, model, &generator, &request, &Bars::new())?;
    if json {
        #[derive(Serialize)]
        struct Out<'a> {
            name: &'a str,
            method: &'a str,
            value: f64,
            share: f64,
            path: &'a Path,
            vector: &'a [f32],
        }
        let out: Vec<Out> = found
            .iter()
            .map(|d| Out {
                name: &d.name,
                method: &d.direction.info.method,
                value: d.value,
                share: d.share,
                path: &d.path,
                vector: &d.direction.vector,
            })
            .collect();
        outln!("{}", serde_json::to_string_pretty(&out)?)?;
    } else {
        if let Some(first) = found.first() {
            outln!("{model}: {}", first.direction.info.method)?;
        }
        for d in &found {
            outln!("@{:<8} {}", d.name, d.direction.info.examples)?;
        }
        eprintln!("saved {} directions under {}", found.len(), store.dir().display());
    }
    if let Some((path, seeds, ks)) = sheet_plan {
        let named: Vec<(String, Vec<f32>)> =
            found.iter().map(|d| (d.name.clone(), d.direction.vector.clone())).collect();
        let (latents, captions) = app::latent::direction_sheet(&named, &seeds, &ks)?;
        let images = generator.generate(&latents)?;
        let title = format!("{model}, {}: a row per direction, {range} σ on each of seeds {seeds:?}", request.method);
        save(&images, captions, seeds.len() * ks.len(), 1, &title, &FacesOut::Grid(path.to_owned()))?;
    }
    Ok(())
}

/// `LOW..HIGH`, two finite numbers.
fn parse_range(range: &str) -> Result<(f64, f64)> {
    range
        .split_once("..")
        .and_then(|(a, b)| Some((a.trim().parse::<f64>().ok()?, b.trim().parse::<f64>().ok()?)))
        .filter(|(a, b)| a.is_finite() && b.is_finite())
        .with_context(|| format!("--range takes LOW..HIGH, like -3..3, not {range:?}"))
}

fn attribute(name: &str) -> Result<&'static Attribute> {
    Ok(app::latent::attribute(name)?)
}

/// The given latents (`z:0`, …) if there are any, otherwise the seeds of `seeds`, with their
/// names; at most `limit`.
fn labelled_latents(seeds: &str, given: &[Vec<f32>], limit: usize) -> Result<Vec<(String, Vec<f32>)>> {
    if given.is_empty() {
        let seeds = latent::parse_seeds(seeds, limit)?;
        return Ok(seeds.iter().map(|&s| (format!("seed:{s}"), latent::seed_latent(s, dcgan::LATENT_DIMS))).collect());
    }
    if given.len() > limit {
        bail!("{} latents given; at most {limit} at a time", given.len());
    }
    Ok(given.iter().enumerate().map(|(i, z)| (format!("z:{i}"), z.clone())).collect())
}

pub fn run(args: LatentArgs, json: bool) -> Result<()> {
    let LatentArgs { command, model, z_file } = args;
    let given = app::latent::given_latents(z_file.as_deref())?;
    let store = directions::store()?;
    let evaluate = |expression: &str| -> Result<Vec<f32>> { Ok(app::latent::evaluate(&store, expression, &given)?) };
    match command {
        LatentCommand::Sample { seeds, grid, columns, scale } => {
            let grid = FacesOut::parse(&grid)?;
            if !given.is_empty() {
                bail!("sample draws seeds; render given latents with `latent render --z-file`");
            }
            let seeds = latent::parse_seeds(&seeds, MOST_FACES)?;
            let generator = generator(&model)?;
            let latents: Vec<Vec<f32>> = seeds.iter().map(|&s| latent::seed_latent(s, dcgan::LATENT_DIMS)).collect();
            let images = generator.generate(&latents)?;
            let captions = seeds.iter().map(|s| format!("seed:{s}")).collect();
            save(&images, captions, columns, scale, &format!("{model}: {} seeds", seeds.len()), &grid)
        }
        LatentCommand::Render { mut expressions, out, columns, scale } => {
            let out = FacesOut::parse(&out)?;
            if expressions.is_empty() {
                if given.is_empty() {
                    bail!(
                        "name the latents to render (such as seed:1 \"seed:2 + @smile\"), or give them with --z-file"
                    );
                }
                expressions = (0..given.len()).map(|i| format!("z:{i}")).collect();
            }
            if expressions.len() > MOST_FACES {
                bail!("{} latents to render; at most {MOST_FACES} at a time", expressions.len());
            }
            let latents = expressions.iter().map(|e| evaluate(e)).collect::<Result<Vec<_>>>()?;
            let generator = generator(&model)?;
            let images = generator.generate(&latents)?;
            save(&images, expressions.clone(), columns, scale, &model, &out)
        }
        LatentCommand::Interpolate { from, to, steps, method, out, scale } => {
            let out = FacesOut::parse(&out)?;
            let method: app::latent::Interpolation = method.parse()?;
            // Each end is evaluated (and its directions loaded) once, not once per frame.
            let (a, b) = (evaluate(&from)?, evaluate(&to)?);
            let (ts, latents): (Vec<f64>, Vec<Vec<f32>>) =
                app::latent::interpolate(&a, &b, steps, method)?.into_iter().unzip();
            let images = generator(&model)?.generate(&latents)?;
            let captions = ts.iter().map(|t| format!("t = {t:.2}")).collect();
            save(&images, captions, steps, scale, &format!("{model}: {method} from {from} to {to}"), &out)
        }
        LatentCommand::Edit { latent, sweep, attribute: measured, out, scale } => {
            let out = FacesOut::parse(&out)?;
            let measured = measured.as_deref().map(attribute).transpose()?;
            let z = evaluate(&latent)?;
            let (unit, ks) = sweep.resolve()?;
            let latents = app::latent::sweep(&z, &unit, &ks);
            let images = generator(&model)?.generate(&latents)?;
            let captions = ks
                .iter()
                .enumerate()
                .map(|(i, k)| match measured {
                    Some(a) => format!("k {k:+.1}: {:.3}", a.score(images.image(i))),
                    None => format!("k = {k:+.1}"),
                })
                .collect();
            let scored = measured.map_or(String::new(), |a| format!(", {} under each", a.name));
            let title = format!("{model}: {latent} along {}{scored}", sweep.describe());
            save(&images, captions, ks.len(), scale, &title, &out)
        }
        LatentCommand::Analogy { a, b, c, variants, noise, seed, out, scale } => {
            let out = FacesOut::parse(&out)?;
            if variants > MOST_FACES - 4 {
                bail!("at most {} variants", MOST_FACES - 4);
            }
            let latents =
                app::latent::visual_analogy(evaluate(&a)?, evaluate(&b)?, evaluate(&c)?, variants, noise, seed)?;
            let images = generator(&model)?.generate(&latents)?;
            let mut captions: Vec<String> = ["A", "B", "C", "B − A + C"].map(String::from).to_vec();
            captions.extend((1..=variants).map(|i| format!("+ noise {i}")));
            eprintln!("A = {a}\nB = {b}\nC = {c}");
            save(&images, captions, 4, scale, &format!("{model}: A is to B as C is to B − A + C"), &out)
        }
        LatentCommand::Score { seeds, attributes, out } => {
            check_extension(&out, "csv")?;
            let chosen: Vec<&Attribute> = if attributes.is_empty() {
                latent::ATTRIBUTES.iter().collect()
            } else {
                attributes.iter().map(|a| attribute(a)).collect::<Result<_>>()?
            };
            let (labels, latents): (Vec<String>, Vec<Vec<f32>>) =
                labelled_latents(&seeds, &given, app::latent::MOST_GIVEN)?.into_iter().unzip();
            let generator = generator(&model)?;
            let scores = latent::score_latents(&generator, &chosen, &latents, &Bars::new())?;
            let names: Vec<&str> = chosen.iter().map(|a| a.name).collect();
            let rows: Vec<(String, Vec<f64>)> = labels.into_iter().zip(scores).collect();
            vecspace::formats::scores::write(&out, &names, &rows)?;
            print_score_summary(&names, &rows, json)?;
            eprintln!("{} latents scored → {}", rows.len(), out.display());
            Ok(())
        }
        LatentCommand::Invert { images, out, crop, steps, starts, pool, learning_rate, seed } => {
            if !given.is_empty() {
                bail!("invert finds latents; it takes no --z-file");
            }
            let options =
                latent::InvertOptions { steps, starts, candidates: pool, learning_rate, seed, ..Default::default() };
            let generator = generator(&model)?;
            let inverted = app::latent::invert_images(&generator, &images, crop, &options, &out, &Bars::new())?;
            if json {
                outln!("{}", serde_json::to_string_pretty(&inverted)?)?;
            } else {
                for image in &inverted.images {
                    outln!(
                        "{}: {:.1} levels rms, {:.1} mean absolute (of 255); |z| {:.2}; start {} of {}",
                        image.image,
                        image.rms_levels,
                        image.mean_abs_levels,
                        image.latent_norm,
                        image.start + 1,
                        image.start_errors.len()
                    )?;
                }
            }
            eprintln!(
                "latents → {}; faces → {}; comparison → {}",
                inverted.latents.display(),
                inverted.faces.display(),
                inverted.comparison.display()
            );
            Ok(())
        }
        LatentCommand::Localize { direction, attribute: name, out, force, seeds, ridge } => {
            let store = directions::store()?;
            let overwrite = app::files::Overwrite::force(force);
            store.check_free(&out, overwrite)?;
            let region = attribute(&name)?;
            let latents: Vec<Vec<f32>> =
                labelled_latents(&seeds, &given, MOST_FACES)?.into_iter().map(|(_, z)| z).collect();
            let original = directions::load(&direction, dcgan::LATENT_DIMS)?;
            let generator = generator(&model)?;
            let done = app::latent::localize(&generator, &original, region, &name, &latents, ridge, &Bars::new())?;
            let path = store.save(&out, &done.direction, overwrite)?;
            outln!(
                "@{out}: cosine {:.3} with @{direction}; RMS change per outside value per unit step {:.4} (was {:.4})",
                done.kept,
                done.outside_after,
                done.outside_before
            )?;
            eprintln!("saved to {}", path.display());
            Ok(())
        }
        LatentCommand::Measure { sweep, attribute: name, seeds, random_base, sweeps, rows } => {
            if let Some(path) = &sweeps {
                check_png(path)?;
            }
            let measured = attribute(&name)?;
            let latents = labelled_latents(&seeds, &given, MOST_FACES)?;
            let (unit, ks) = sweep.resolve()?;
            let shown = &latents[..rows.clamp(1, latents.len())];
            if sweeps.is_some() && shown.len() * ks.len() > MOST_FACES {
                bail!("{} rows of {} frames is more than one picture holds ({MOST_FACES})", shown.len(), ks.len());
            }
            let generator = generator(&model)?;
            let measurement =
                latent::measure_edit(&generator, measured, &unit, &latents, &ks, random_base, &Bars::new())?;
            print_measurement(&measurement, &sweep.describe(), json)?;
            if let Some(path) = sweeps {
                let frames: Vec<Vec<f32>> = shown.iter().flat_map(|(_, z)| app::latent::sweep(z, &unit, &ks)).collect();
                let images = generator.generate(&frames)?;
                let captions = (0..frames.len())
                    .map(|i| format!("k {:+.1}: {:.3}", ks[i % ks.len()], measured.score(images.image(i))))
                    .collect();
                let labels: Vec<&str> = shown.iter().map(|(label, _)| label.as_str()).collect();
                let title = format!("{} along {}; rows: {}", measured.name, sweep.describe(), labels.join(", "));
                save(&images, captions, ks.len(), 2, &title, &FacesOut::Grid(path))?;
            }
            Ok(())
        }
    }
}

/// Per attribute: the spread of the scores, and the latents at each end (exemplars to look at).
fn print_score_summary(names: &[&str], rows: &[(String, Vec<f64>)], json: bool) -> Result<()> {
    let summaries = app::latent::summarize_scores(names, rows);
    if json {
        outln!("{}", serde_json::to_string_pretty(&summaries)?)?;
        return Ok(());
    }
    outln!("{:<16} {:>8} {:>8}  lowest → highest", "attribute", "mean", "std")?;
    for s in &summaries {
        outln!("{:<16} {:>8.4} {:>8.4}  {} … {}", s.attribute, s.mean, s.std, s.lowest.join(" "), s.highest.join(" "))?;
    }
    Ok(())
}

fn print_measurement(m: &latent::EditMeasurement, direction: &str, json: bool) -> Result<()> {
    let local = m.attribute.is_local();
    if json {
        #[derive(Serialize)]
        struct Row<'a> {
            latent: &'a str,
            scores: &'a [f64],
            random_scores: &'a [f64],
            spearman: f64,
            random_spearman: f64,
            inside_change: f64,
            outside_change: Option<f64>,
            random_inside_change: f64,
            random_outside_change: Option<f64>,
        }
        #[derive(Serialize)]
        struct Out<'a> {
            direction: &'a str,
            attribute: &'a str,
            strengths: &'a [f64],
            mean_spearman: f64,
            share_spearman_at_least_0_9: f64,
            random_mean_spearman: f64,
            mean_outside_change: Option<f64>,
            random_mean_outside_change: Option<f64>,
            latents: Vec<Row<'a>>,
        }
        let outside = |v: f64| local.then_some(v);
        let out = Out {
            direction,
            attribute: m.attribute.name,
            strengths: &m.strengths,
            mean_spearman: m.mean(false, |s| s.spearman),
            share_spearman_at_least_0_9: m.share_monotonic(0.9),
            random_mean_spearman: m.mean(true, |s| s.spearman),
            mean_outside_change: outside(m.mean(false, |s| s.outside_change)),
            random_mean_outside_change: outside(m.mean(true, |s| s.outside_change)),
            latents: m
                .latents
                .iter()
                .map(|l| Row {
                    latent: &l.label,
                    scores: &l.edit.scores,
                    random_scores: &l.random.scores,
                    spearman: l.edit.spearman,
                    random_spearman: l.random.spearman,
                    inside_change: l.edit.inside_change,
                    outside_change: outside(l.edit.outside_change),
                    random_inside_change: l.random.inside_change,
                    random_outside_change: outside(l.random.outside_change),
                })
                .collect(),
        };
        outln!("{}", serde_json::to_string_pretty(&out)?)?;
        return Ok(());
    }
    outln!(
        "{} along {direction}, k from {:+} to {:+} in {} steps, {} latents",
        m.attribute.name,
        m.strengths[0],
        m.strengths[m.strengths.len() - 1],
        m.strengths.len(),
        m.latents.len()
    )?;
    outln!(
        "{:<12} {:>9} {:>9}  {:>12} {:>12}  scores along the sweep",
        "latent",
        "ρ edit",
        "ρ random",
        "outside edit",
        "outside rand"
    )?;
    for l in &m.latents {
        let scores: Vec<String> = l.edit.scores.iter().map(|s| format!("{s:.3}")).collect();
        outln!(
            "{:<12} {:>9.3} {:>9.3}  {:>12.4} {:>12.4}  {}",
            l.label,
            l.edit.spearman,
            l.random.spearman,
            l.edit.outside_change,
            l.random.outside_change,
            scores.join(" ")
        )?;
    }
    let moved = |s: &latent::measure::Sweep| s.scores[s.scores.len() - 1] - s.scores[0];
    outln!(
        "mean score change from first to last frame: {:+.4} along the direction, {:+.4} along random directions",
        m.mean(false, moved),
        m.mean(true, moved)
    )?;
    outln!(
        "mean Spearman ρ: {:.3} along the direction ({:.0} % of latents ≥ 0.9), {:.3} along random directions",
        m.mean(false, |s| s.spearman),
        m.share_monotonic(0.9) * 100.0,
        m.mean(true, |s| s.spearman)
    )?;
    if local {
        let (edit, random) = (m.mean(false, |s| s.outside_change), m.mean(true, |s| s.outside_change));
        let (edit_in, random_in) = (m.mean(false, |s| s.inside_change), m.mean(true, |s| s.inside_change));
        outln!(
            "mean change outside the {} region: {edit:.4} along the direction, {random:.4} along random ({:.2}×); inside: {edit_in:.4} vs {random_in:.4}",
            m.attribute.name,
            edit / random
        )?;
    } else {
        outln!("{} reads the whole image, so there is no outside to compare", m.attribute.name)?;
    }
    Ok(())
}

//! `vecspace latent …`: faces from a registered image generator — grids of seeds and renders of
//! latent expressions such as `seed:12 + 1.5*@smile` or `slerp(seed:1, seed:2, 0.3)`.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::Subcommand;
use vecspace::direction::WithDirections;
use vecspace::fetch::{self, Cache};
use vecspace::latent::{self, Checkpoint, Dcgan, Images, LatentResolver, dcgan};
use vecspace::plot::{Tile, grid_png};

use crate::directions;
use crate::progress::Bars;

/// Most faces one picture holds.
const MOST_FACES: usize = 1024;

#[derive(Subcommand)]
pub enum LatentCommand {
    /// A labelled grid of the faces of many seeds.
    Sample {
        /// face-dcgan-celeba or face-dcgan-digiface.
        #[arg(long, default_value = latent::DEFAULT_MODEL)]
        model: String,
        /// Seeds: a range 0..63 (inclusive), a list 1,5,9, or both.
        #[arg(long, default_value = "0..31")]
        seeds: String,
        /// The PNG to write.
        #[arg(long)]
        grid: PathBuf,
        #[arg(long, default_value_t = 8)]
        columns: usize,
        /// Enlargement of each 64×64 face.
        #[arg(long, default_value_t = 2)]
        scale: usize,
    },
    /// Faces of latent expressions (seed:N, @direction, mean, slerp, …) in one picture.
    Render {
        #[arg(required = true)]
        expressions: Vec<String>,
        #[arg(long, default_value = latent::DEFAULT_MODEL)]
        model: String,
        /// The PNG to write.
        #[arg(long)]
        out: PathBuf,
        #[arg(long, default_value_t = 8)]
        columns: usize,
        #[arg(long, default_value_t = 3)]
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
        #[arg(long, default_value = latent::DEFAULT_MODEL)]
        model: String,
        #[arg(long)]
        out: PathBuf,
        #[arg(long, default_value_t = 2)]
        scale: usize,
    },
    /// A sweep along a direction: the latent moved k units along its unit vector, k across a range.
    Edit {
        /// The latent to edit (an expression such as seed:7).
        latent: String,
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
        #[arg(long, default_value = latent::DEFAULT_MODEL)]
        model: String,
        #[arg(long)]
        out: PathBuf,
        #[arg(long, default_value_t = 2)]
        scale: usize,
    },
}

/// `steps` evenly spaced numbers from `from` to `to`.
fn spaced(from: f64, to: f64, steps: usize) -> Result<Vec<f64>> {
    if !(2..=MOST_FACES).contains(&steps) {
        bail!("--steps must be between 2 and {MOST_FACES}");
    }
    Ok((0..steps).map(|i| from + (to - from) * i as f64 / (steps - 1) as f64).collect())
}

/// `unit(d)` made orthogonal to every direction in `keep` (Gram–Schmidt), then unit length.
fn orthogonal_unit(direction: &[f32], keep: &[Vec<f32>]) -> Result<Vec<f64>> {
    let mut basis: Vec<Vec<f64>> = Vec::new();
    for k in keep {
        let mut v: Vec<f64> = k.iter().map(|&x| f64::from(x)).collect();
        for b in &basis {
            let along: f64 = v.iter().zip(b).map(|(x, y)| x * y).sum();
            v.iter_mut().zip(b).for_each(|(x, y)| *x -= along * y);
        }
        let length = v.iter().map(|x| x * x).sum::<f64>().sqrt();
        if length > 1e-9 {
            basis.push(v.iter().map(|x| x / length).collect());
        }
    }
    let mut d: Vec<f64> = direction.iter().map(|&x| f64::from(x)).collect();
    for b in &basis {
        let along: f64 = d.iter().zip(b).map(|(x, y)| x * y).sum();
        d.iter_mut().zip(b).for_each(|(x, y)| *x -= along * y);
    }
    let length = d.iter().map(|x| x * x).sum::<f64>().sqrt();
    if length < 1e-9 {
        bail!("the direction lies within the directions to keep; nothing is left to edit");
    }
    Ok(d.iter().map(|x| x / length).collect())
}

/// Fetches (on first use) and loads a registered generator.
pub fn generator(name: &str) -> Result<Dcgan> {
    let Some(spec) = latent::model(name) else {
        let known: Vec<&str> = latent::MODELS.iter().map(|m| m.name).collect();
        bail!("unknown image generator {name:?}; known: {}", known.join(", "));
    };
    let path = fetch::ensure(spec.name, &Cache::from_env()?, &Bars::new())?;
    let checkpoint = Checkpoint::read(&path, spec.key)?;
    Ok(Dcgan::from_checkpoint(&checkpoint, &spec.layout)?)
}

/// The latent an expression evaluates to.
pub fn evaluate(expression: &str) -> Result<Vec<f32>> {
    let named = directions::referenced(expression, dcgan::LATENT_DIMS)?;
    let expr = vecspace::expr::parse(expression)?;
    let resolver = WithDirections { inner: LatentResolver, directions: &named };
    let value = vecspace::expr::evaluate(&expr, &resolver)
        .map_err(|error| vecspace::Error::Expression { expression: expression.to_owned(), error })?;
    value.into_vector().with_context(|| format!("{expression:?} is a number, not a latent"))
}

fn check_png(path: &Path) -> Result<()> {
    if path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() != Some("png") {
        bail!("{} should be a .png file", path.display());
    }
    Ok(())
}

fn save(images: &Images, captions: Vec<String>, columns: usize, scale: usize, title: &str, path: &Path) -> Result<()> {
    let tiles: Vec<Tile> = captions
        .into_iter()
        .enumerate()
        .map(|(i, caption)| Tile { rgb: images.rgb8(i), width: dcgan::IMAGE_SIZE, height: dcgan::IMAGE_SIZE, caption })
        .collect();
    let png = grid_png(&tiles, columns, scale, Some(title))?;
    vecspace::formats::write_atomically(path, |out| {
        out.write_all(&png).map_err(|e| vecspace::formats::Error::Io { path: path.to_owned(), source: e })
    })?;
    eprintln!("{title} → {}", path.display());
    Ok(())
}

pub fn run(command: LatentCommand) -> Result<()> {
    match command {
        LatentCommand::Sample { model, seeds, grid, columns, scale } => {
            check_png(&grid)?;
            let seeds = latent::parse_seeds(&seeds, MOST_FACES).map_err(anyhow::Error::msg)?;
            let generator = generator(&model)?;
            let latents: Vec<Vec<f32>> = seeds.iter().map(|&s| latent::seed_latent(s, dcgan::LATENT_DIMS)).collect();
            let images = generator.generate(&latents)?;
            let captions = seeds.iter().map(|s| format!("seed:{s}")).collect();
            save(&images, captions, columns, scale, &format!("{model}: {} seeds", seeds.len()), &grid)
        }
        LatentCommand::Render { expressions, model, out, columns, scale } => {
            check_png(&out)?;
            if expressions.len() > MOST_FACES {
                bail!("at most {MOST_FACES} expressions at a time");
            }
            let latents = expressions.iter().map(|e| evaluate(e)).collect::<Result<Vec<_>>>()?;
            let generator = generator(&model)?;
            let images = generator.generate(&latents)?;
            save(&images, expressions.clone(), columns, scale, &model, &out)
        }
        LatentCommand::Interpolate { from, to, steps, method, model, out, scale } => {
            check_png(&out)?;
            if method != "slerp" && method != "lerp" {
                bail!("unknown interpolation {method:?}: use slerp or lerp");
            }
            let ts = spaced(0.0, 1.0, steps)?;
            // Each end is evaluated (and its directions loaded) once, not once per frame.
            let (a, b) = (evaluate(&from)?, evaluate(&to)?);
            let latents = ts
                .iter()
                .map(|&t| match method.as_str() {
                    "lerp" => Ok(vecspace::expr::lerp(&a, &b, t)),
                    _ => vecspace::expr::slerp(&a, &b, t).context("slerp is undefined when an end is the zero vector"),
                })
                .collect::<Result<Vec<_>>>()?;
            let images = generator(&model)?.generate(&latents)?;
            let captions = ts.iter().map(|t| format!("t = {t:.2}")).collect();
            save(&images, captions, steps, scale, &format!("{model}: {method} from {from} to {to}"), &out)
        }
        LatentCommand::Edit { latent, direction, range, steps, keep, model, out, scale } => {
            check_png(&out)?;
            let (low, high) = range
                .split_once("..")
                .and_then(|(a, b)| Some((a.trim().parse::<f64>().ok()?, b.trim().parse::<f64>().ok()?)))
                .filter(|(a, b)| a.is_finite() && b.is_finite())
                .with_context(|| format!("--range takes LOW..HIGH, like -3..3, not {range:?}"))?;
            let z = evaluate(&latent)?;
            let d = directions::load(&direction, dcgan::LATENT_DIMS)?.vector;
            let kept =
                keep.iter().map(|k| Ok(directions::load(k, dcgan::LATENT_DIMS)?.vector)).collect::<Result<Vec<_>>>()?;
            let unit = orthogonal_unit(&d, &kept)?;
            let ks = spaced(low, high, steps)?;
            let latents: Vec<Vec<f32>> = ks
                .iter()
                .map(|k| z.iter().zip(&unit).map(|(&x, &u)| (f64::from(x) + k * u) as f32).collect())
                .collect();
            let images = generator(&model)?.generate(&latents)?;
            let captions = ks.iter().map(|k| format!("k = {k:+.1}")).collect();
            let title = format!(
                "{model}: {latent} along @{direction}{}",
                if keep.is_empty() { String::new() } else { format!(" keeping {}", keep.join(", ")) }
            );
            save(&images, captions, steps, scale, &title, &out)
        }
    }
}

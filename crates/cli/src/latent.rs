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
    }
}

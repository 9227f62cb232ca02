//! Inversion: the latent whose face comes closest to a given image, found by gradient descent on
//! the pixel error through the generator (candle's autograd), from several random starts at once
//! in the batch dimension.
//!
//! The loss of a start is the mean squared pixel difference to the target (values in [-1, 1])
//! plus a light pull of the latent towards the shell where Gaussian latents live (|z|²/100 near
//! 1), the region the generator was trained on. The starts are the random latents whose faces
//! are already closest; each is updated with Adam, the best latent it reached is kept, and the
//! best start wins.

use candle_core::{Device, Tensor, Var};
use vecspace_core::progress::{Progress, Unit};

use crate::dcgan::{Dcgan, GeneratorError, IMAGE_SIZE, Images, LATENT_DIMS, LAYERS};
use crate::seeds::seed_latent;

/// How an inversion searches.
#[derive(Debug, Clone, PartialEq)]
pub struct InvertOptions {
    /// Gradient steps of every start.
    pub steps: usize,
    /// Random starting latents, run side by side.
    pub starts: usize,
    /// Adam's step size at the first step; it decays to a tenth by the last (cosine).
    pub learning_rate: f32,
    /// Weight of the pull towards the prior's shell, `(|z|²/100 − 1)²`.
    pub prior: f32,
    /// Random latents scored before the descent (one forward pass each); the `starts` closest
    /// are where it starts. At least `starts`.
    pub candidates: usize,
    /// Candidate `i` is `seed_latent(seed + i)`.
    pub seed: u64,
}

impl Default for InvertOptions {
    fn default() -> Self {
        InvertOptions { steps: 300, starts: 4, learning_rate: 0.2, prior: 0.001, candidates: 256, seed: 1 << 40 }
    }
}

/// Most images × starts one inversion runs side by side (each holds its activations for the
/// backward pass, about 4 MB).
pub const MAX_BATCH: usize = 256;
/// Most steps one inversion runs.
pub const MAX_STEPS: usize = 100_000;
/// Most random latents scored per image before the descent.
pub const MAX_CANDIDATES: usize = 65_536;

/// What an inversion found.
#[derive(Debug, Clone, PartialEq)]
pub struct Inversion {
    /// The latent, [`LATENT_DIMS`] values.
    pub latent: Vec<f32>,
    /// Its face, `3 × 64 × 64` values in [-1, 1] (as [`Images::image`]).
    pub image: Vec<f32>,
    /// Root mean square difference of that face and the target, in 8-bit levels (0–255).
    pub rms_levels: f32,
    /// Mean absolute difference, in 8-bit levels.
    pub mean_abs_levels: f32,
    /// Which start won.
    pub start: usize,
    /// The best mean squared error (values in [-1, 1]) each start reached.
    pub start_errors: Vec<f32>,
}

/// For each target (`3 × 64 × 64` values in [-1, 1], channels first, as [`Images::image`]) the
/// latent whose face is closest to it, all searched side by side in one batch; one unit of
/// progress per step.
pub fn invert(
    generator: &Dcgan,
    targets: &[Vec<f32>],
    options: &InvertOptions,
    progress: &dyn Progress,
) -> Result<Vec<Inversion>, GeneratorError> {
    let InvertOptions { steps, starts, learning_rate, prior, candidates, seed } = *options;
    for target in targets {
        if target.len() != Images::PIXELS {
            return Err(GeneratorError::Inversion(format!(
                "a target image has {} values; a {IMAGE_SIZE} × {IMAGE_SIZE} RGB image has {}",
                target.len(),
                Images::PIXELS
            )));
        }
        if target.iter().any(|x| !x.is_finite() || x.abs() > 1.0) {
            return Err(GeneratorError::Inversion("a target image holds values outside [-1, 1]".into()));
        }
    }
    if targets.is_empty() || targets.len() * starts > MAX_BATCH {
        return Err(GeneratorError::Inversion(format!(
            "{} images × {starts} starts: an inversion runs 1 to {MAX_BATCH} at a time",
            targets.len()
        )));
    }
    if starts == 0 {
        return Err(GeneratorError::Inversion("an inversion needs at least one start".into()));
    }
    if !(1..=MAX_STEPS).contains(&steps) {
        return Err(GeneratorError::Inversion(format!("steps must be 1 to {MAX_STEPS}, not {steps}")));
    }
    if candidates > MAX_CANDIDATES {
        return Err(GeneratorError::Inversion(format!(
            "at most {MAX_CANDIDATES} random latents are scored per image, not {candidates}"
        )));
    }
    let usable = learning_rate.is_finite() && learning_rate > 0.0 && prior.is_finite() && prior >= 0.0;
    if !usable {
        return Err(GeneratorError::Inversion(
            "the learning rate must be above 0 and the prior weight at least 0".into(),
        ));
    }
    let device = Device::Cpu;
    let batch = targets.len() * starts;
    // Row `t · starts + s` of the batch is start `s` of target `t`.
    let goal: Vec<f32> = targets.iter().flat_map(|t| std::iter::repeat_n(t, starts).flatten()).copied().collect();
    let goal = Tensor::from_vec(goal, (batch, 3, IMAGE_SIZE, IMAGE_SIZE), &device)?;
    let mut z = closest_candidates(generator, targets, candidates.max(starts), starts, seed)?;
    let mut adam = Adam::new(z.len());
    let mut best = vec![(f32::INFINITY, Vec::new()); batch];
    progress.start("inverting", Some(steps as u64), Unit::Items);
    for step in 0..=steps {
        let var = Var::from_vec(z.clone(), (batch, LATENT_DIMS, 1, 1), &device)?;
        let faces = generator.forward(var.as_tensor().clone(), LAYERS)?;
        let pixel_error = (faces - &goal)?.sqr()?.flatten_from(1)?.mean(1)?;
        for (row, &error) in pixel_error.to_vec1::<f32>()?.iter().enumerate() {
            if error < best[row].0 {
                best[row] = (error, z[row * LATENT_DIMS..(row + 1) * LATENT_DIMS].to_vec());
            }
        }
        // The last pass only scores the final latents.
        if step == steps {
            break;
        }
        let shell = (var.as_tensor().sqr()?.flatten_from(1)?.mean(1)? - 1.0)?.sqr()?;
        let loss = (pixel_error + (shell * f64::from(prior))?)?.sum_all()?;
        let gradient = loss.backward()?;
        let gradient = gradient
            .get(var.as_tensor())
            .ok_or_else(|| GeneratorError::Inversion("no gradient reached the latents".into()))?
            .flatten_all()?
            .to_vec1::<f32>()?;
        let decay = 0.55 + 0.45 * (std::f32::consts::PI * step as f32 / steps as f32).cos();
        adam.step(&mut z, &gradient, learning_rate * decay);
        progress.advance(1);
    }
    progress.finish();
    let winners: Vec<(usize, f32, Vec<f32>)> = best
        .chunks(starts)
        .map(|runs| {
            let (start, (error, latent)) =
                runs.iter().enumerate().min_by(|a, b| a.1.0.total_cmp(&b.1.0)).expect("starts ≥ 1");
            (start, *error, latent.clone())
        })
        .collect();
    if winners.iter().any(|(_, error, latent)| !error.is_finite() || latent.iter().any(|x| !x.is_finite())) {
        return Err(GeneratorError::Inversion("the search diverged: the pixel error is not finite".into()));
    }
    let latents: Vec<Vec<f32>> = winners.iter().map(|w| w.2.clone()).collect();
    let faces = generator.generate(&latents)?;
    Ok(winners
        .into_iter()
        .enumerate()
        .map(|(t, (start, _, latent))| {
            let image = faces.image(t).to_vec();
            let (rms_levels, mean_abs_levels) = pixel_distance(&image, &targets[t]);
            let start_errors = best[t * starts..(t + 1) * starts].iter().map(|b| b.0).collect();
            Inversion { latent, image, rms_levels, mean_abs_levels, start, start_errors }
        })
        .collect())
}

/// For each target, the `keep` latents among `count` random ones (`seed_latent(seed + i)`) whose
/// faces are closest to it, flattened target by target: forward passes only, in batches, each
/// face scored against every target.
fn closest_candidates(
    generator: &Dcgan,
    targets: &[Vec<f32>],
    count: usize,
    keep: usize,
    seed: u64,
) -> Result<Vec<f32>, GeneratorError> {
    const BATCH: usize = 64;
    let latent = |i: usize| seed_latent(seed.wrapping_add(i as u64), LATENT_DIMS);
    // errors[t][i]: target t against candidate i.
    let mut errors = vec![Vec::with_capacity(count); targets.len()];
    for first in (0..count).step_by(BATCH) {
        let faces = generator.generate(&(first..count.min(first + BATCH)).map(latent).collect::<Vec<_>>())?;
        for (target, row) in targets.iter().zip(&mut errors) {
            row.extend(
                (0..faces.count)
                    .map(|i| faces.image(i).iter().zip(target).map(|(a, b)| (a - b) * (a - b)).sum::<f32>()),
            );
        }
    }
    let mut chosen = Vec::with_capacity(targets.len() * keep * LATENT_DIMS);
    for row in errors {
        let mut order: Vec<usize> = (0..row.len()).collect();
        order.sort_by(|&a, &b| row[a].total_cmp(&row[b]));
        chosen.extend(order.into_iter().take(keep).flat_map(latent));
    }
    Ok(chosen)
}

/// An RGB picture (8-bit, row by row) prepared as the generators' training faces were: the
/// centred square of its shorter side, scaled to 64 × 64 by averaging the area each output pixel
/// covers (PyTorch's `Resize(64)` then `CenterCrop(64)`, up to the resampling filter), as
/// `3 × 64 × 64` values in [-1, 1], channels first. `None` for an empty picture or one whose
/// pixel count does not match its size.
pub fn training_image(rgb: &[u8], width: usize, height: usize) -> Option<Vec<f32>> {
    if width == 0 || height == 0 || rgb.len() != width.checked_mul(height)?.checked_mul(3)? {
        return None;
    }
    let side = width.min(height);
    let (left, top) = ((width - side) / 2, (height - side) / 2);
    let weights = area_weights(side, IMAGE_SIZE);
    let plane = IMAGE_SIZE * IMAGE_SIZE;
    let mut out = vec![0.0f32; 3 * plane];
    for (y, rows) in weights.iter().enumerate() {
        for (x, columns) in weights.iter().enumerate() {
            let mut sums = [0.0f64; 3];
            for &(row, wy) in rows {
                for &(column, wx) in columns {
                    let at = ((top + row) * width + left + column) * 3;
                    for (channel, sum) in sums.iter_mut().enumerate() {
                        *sum += wy * wx * f64::from(rgb[at + channel]);
                    }
                }
            }
            for (channel, sum) in sums.iter().enumerate() {
                out[channel * plane + y * IMAGE_SIZE + x] = (sum / 127.5 - 1.0) as f32;
            }
        }
    }
    Some(out)
}

/// For each of `to` output cells over `from` input cells, the input cells it covers and the
/// share of it each one takes (summing to 1).
fn area_weights(from: usize, to: usize) -> Vec<Vec<(usize, f64)>> {
    let scale = from as f64 / to as f64;
    (0..to)
        .map(|cell| {
            let (start, end) = (cell as f64 * scale, (cell + 1) as f64 * scale);
            let first = start.floor() as usize;
            let last = (end.ceil() as usize).min(from);
            (first..last)
                .map(|i| (i, ((end.min(i as f64 + 1.0) - start.max(i as f64)) / scale)))
                .filter(|&(_, w)| w > 0.0)
                .collect()
        })
        .collect()
}

/// Root mean square and mean absolute difference of two images in [-1, 1], in 8-bit levels.
pub fn pixel_distance(a: &[f32], b: &[f32]) -> (f32, f32) {
    let n = a.len().min(b.len()).max(1) as f64;
    let (squares, absolutes) = a.iter().zip(b).fold((0.0f64, 0.0f64), |(s, t), (x, y)| {
        let d = f64::from(x - y);
        (s + d * d, t + d.abs())
    });
    // [-1, 1] spans 255 levels.
    (((squares / n).sqrt() * 127.5) as f32, (absolutes / n * 127.5) as f32)
}

/// Adam (Kingma & Ba 2015) on a flat parameter vector, with the usual β₁ 0.9, β₂ 0.999, ε 1e-8.
struct Adam {
    first: Vec<f32>,
    second: Vec<f32>,
    steps: i32,
}

impl Adam {
    fn new(n: usize) -> Adam {
        Adam { first: vec![0.0; n], second: vec![0.0; n], steps: 0 }
    }

    fn step(&mut self, parameters: &mut [f32], gradient: &[f32], rate: f32) {
        const B1: f32 = 0.9;
        const B2: f32 = 0.999;
        self.steps += 1;
        let (c1, c2) = (1.0 - B1.powi(self.steps), 1.0 - B2.powi(self.steps));
        for (((p, &g), m), v) in parameters.iter_mut().zip(gradient).zip(&mut self.first).zip(&mut self.second) {
            *m = B1 * *m + (1.0 - B1) * g;
            *v = B2 * *v + (1.0 - B2) * g * g;
            *p -= rate * (*m / c1) / ((*v / c2).sqrt() + 1e-8);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn area_weights_cover_each_cell_once() {
        for (from, to) in [(64, 64), (512, 64), (100, 64), (30, 64), (1, 64)] {
            let weights = area_weights(from, to);
            assert_eq!(weights.len(), to);
            for cell in &weights {
                let total: f64 = cell.iter().map(|w| w.1).sum();
                assert!((total - 1.0).abs() < 1e-9, "{from}→{to}: {total}");
            }
            // Every input cell is used, in total, as much as every other.
            let mut used = vec![0.0; from];
            weights.iter().flatten().for_each(|&(i, w)| used[i] += w);
            assert!(used.iter().all(|&u| (u - to as f64 / from as f64).abs() < 1e-9), "{from}→{to}");
        }
    }

    #[test]
    fn the_training_crop_takes_the_centred_square_and_averages_it() {
        // 256 × 128: the centre square (columns 64 to 191) is white, the sides black.
        let (width, height) = (256, 128);
        let rgb: Vec<u8> = (0..width * height)
            .flat_map(|i| if (64..192).contains(&(i % width)) { [255; 3] } else { [0; 3] })
            .collect();
        let image = training_image(&rgb, width, height).unwrap();
        assert_eq!(image.len(), Images::PIXELS);
        assert!(image.iter().all(|&x| x == 1.0));
        // A 2 × 2 checkerboard scaled by 32 keeps its four blocks; one of 128 squares averages to grey.
        let check = |size: usize, cell: usize| -> Vec<u8> {
            (0..size * size)
                .flat_map(|i| [if (i % size / cell + i / size / cell).is_multiple_of(2) { 255 } else { 0 }; 3])
                .collect()
        };
        let blocks = training_image(&check(2, 1), 2, 2).unwrap();
        assert_eq!((blocks[0], blocks[31], blocks[32], blocks[64 * 32]), (1.0, 1.0, -1.0, -1.0));
        let fine = training_image(&check(1024, 8), 1024, 1024).unwrap();
        assert!(fine.iter().all(|&x| x.abs() < 1e-6));
        assert_eq!(training_image(&[0; 5], 2, 1), None);
    }
}

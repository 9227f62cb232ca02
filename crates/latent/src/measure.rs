//! Scoring many faces with a pixel attribute, and measuring what an edit direction does: does the
//! attribute rise steadily with the edit's strength, and does the rest of the image stay put, in
//! comparison with random directions of the same length?

use vecspace_core::progress::{Progress, Unit};
use vecspace_core::stats::spearman;

use crate::attributes::{Attribute, mean_change};
use crate::dcgan::{Dcgan, GeneratorError, Images, LATENT_DIMS};
use crate::seeds::seed_latent;

/// Images generated per batch: the batch dimension carries the work, the memory stays small.
const BATCH: usize = 64;

/// Each latent's value of each attribute, generated and scored in batches.
pub fn score_latents(
    generator: &Dcgan,
    attributes: &[&Attribute],
    latents: &[Vec<f32>],
    progress: &dyn Progress,
) -> Result<Vec<Vec<f64>>, GeneratorError> {
    progress.start("scoring faces", Some(latents.len() as u64), Unit::Items);
    let mut scores = Vec::with_capacity(latents.len());
    for batch in latents.chunks(BATCH) {
        let images = generator.generate(batch)?;
        for index in 0..images.count {
            let luma = crate::attributes::luma(images.image(index));
            scores.push(attributes.iter().map(|a| a.score_luma(&luma)).collect());
        }
        progress.advance(batch.len() as u64);
    }
    progress.finish();
    Ok(scores)
}

/// The random direction compared with the edit on the `index`-th latent: `seed:(base + index)`
/// scaled to unit length, so every run with the same base draws the same directions.
pub fn random_direction(base: u64, index: usize) -> Vec<f64> {
    let v: Vec<f64> = seed_latent(base.wrapping_add(index as u64), LATENT_DIMS).iter().map(|&x| f64::from(x)).collect();
    let length = v.iter().map(|x| x * x).sum::<f64>().sqrt();
    v.iter().map(|x| x / length).collect()
}

/// `z` moved `k` units along the unit vector `unit` (in f64, rounded once to f32).
pub fn moved(z: &[f32], unit: &[f64], k: f64) -> Vec<f32> {
    z.iter().zip(unit).map(|(&x, &u)| (f64::from(x) + k * u) as f32).collect()
}

/// One sweep, along a direction or a random one.
#[derive(Debug, Clone, PartialEq)]
pub struct Sweep {
    /// The attribute at each strength.
    pub scores: Vec<f64>,
    /// Spearman's ρ between strength and score (0 when the score never moves).
    pub spearman: f64,
    /// Mean absolute change per channel value (0–1 scale) from the unedited face, averaged over the
    /// sweep, inside and outside the attribute's region.
    pub inside_change: f64,
    pub outside_change: f64,
}

/// A latent swept along the direction and along a random direction of the same length.
#[derive(Debug, Clone, PartialEq)]
pub struct LatentSweeps {
    pub label: String,
    pub edit: Sweep,
    pub random: Sweep,
}

/// Everything measured for one direction and attribute.
#[derive(Debug, Clone, PartialEq)]
pub struct EditMeasurement {
    pub attribute: Attribute,
    /// The strengths: the latent moved `k` units along the unit direction.
    pub strengths: Vec<f64>,
    pub latents: Vec<LatentSweeps>,
}

fn mean(values: impl Iterator<Item = f64>) -> f64 {
    let (sum, count) = values.fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
    sum / count as f64
}

impl EditMeasurement {
    /// The mean of `f` over the latents' edit sweeps (`random = false`) or random sweeps.
    pub fn mean(&self, random: bool, f: impl Fn(&Sweep) -> f64) -> f64 {
        mean(self.latents.iter().map(|l| f(if random { &l.random } else { &l.edit })))
    }

    /// The share of latents whose edit sweep has ρ ≥ `threshold`.
    pub fn share_monotonic(&self, threshold: f64) -> f64 {
        mean(self.latents.iter().map(|l| f64::from(u8::from(l.edit.spearman >= threshold))))
    }
}

fn sweep(attribute: &Attribute, strengths: &[f64], images: &Images, first_frame: usize, base: &[f32]) -> Sweep {
    let frames: Vec<&[f32]> = (0..strengths.len()).map(|i| images.image(first_frame + i)).collect();
    let scores: Vec<f64> = frames.iter().map(|frame| attribute.score(frame)).collect();
    let rho = spearman(strengths, &scores);
    Sweep {
        // A score that never moves has no rank correlation; it did not follow the edit.
        spearman: if rho.is_nan() { 0.0 } else { rho },
        inside_change: mean(frames.iter().map(|f| mean_change(attribute, base, f, true))),
        outside_change: mean(frames.iter().map(|f| mean_change(attribute, base, f, false))),
        scores,
    }
}

/// Sweeps each latent along `direction` (made unit length) by each of `strengths`, and along a
/// random unit direction ([`random_direction`]`(random_base, i)` for the i-th latent) by the same
/// strengths, scoring every frame with `attribute` and measuring how much of the image changes
/// inside and outside the attribute's region.
pub fn measure_edit(
    generator: &Dcgan,
    attribute: &Attribute,
    direction: &[f64],
    latents: &[(String, Vec<f32>)],
    strengths: &[f64],
    random_base: u64,
    progress: &dyn Progress,
) -> Result<EditMeasurement, GeneratorError> {
    if direction.len() != LATENT_DIMS {
        return Err(GeneratorError::LatentShape { expected: LATENT_DIMS, found: direction.len() });
    }
    let length = direction.iter().map(|x| x * x).sum::<f64>().sqrt();
    let unit: Vec<f64> = direction.iter().map(|x| x / length).collect();
    progress.start("sweeping latents", Some(latents.len() as u64), Unit::Items);
    let mut measured = Vec::with_capacity(latents.len());
    for (index, (label, z)) in latents.iter().enumerate() {
        let random = random_direction(random_base, index);
        // One batch per latent: the unedited face, the edit sweep, the random sweep.
        let mut batch = vec![z.clone()];
        batch.extend(strengths.iter().map(|&k| moved(z, &unit, k)));
        batch.extend(strengths.iter().map(|&k| moved(z, &random, k)));
        let images = generator.generate(&batch)?;
        let base = images.image(0);
        measured.push(LatentSweeps {
            label: label.clone(),
            edit: sweep(attribute, strengths, &images, 1, base),
            random: sweep(attribute, strengths, &images, 1 + strengths.len(), base),
        });
        progress.advance(1);
    }
    progress.finish();
    Ok(EditMeasurement { attribute: *attribute, strengths: strengths.to_vec(), latents: measured })
}

//! Edits that stay inside a region of the image.
//!
//! A direction learned from scores (a classifier boundary) moves the attribute, but it also moves
//! whatever the attribute happens to correlate with: faces with dark eye bands are also darker,
//! more often male, differently lit. Following the idea of LowRankGAN (Zhu et al. 2021, "Low-Rank
//! Subspaces in GANs"), the generator's Jacobian tells which latent directions change the pixels
//! *outside* a region: with `J(z)` the derivative of the outside pixels with respect to z,
//! `S = E_z[J(z)ᵀ J(z)]` gives, for any direction d, the mean squared outside change `dᵀ S d` of a
//! small step along d. The localised direction is the one that keeps the original's component
//! while changing the outside least — `argmin dᵀ (S + λ I) d` subject to `dᵀ d₀ = 1`, that is
//! `d ∝ (S + λ I)⁻¹ d₀` — where λ, a fraction of S's mean eigenvalue, keeps the solve stable and
//! trades locality for strength.

use vecspace_core::progress::{Progress, Unit};

use crate::attributes::Attribute;
use crate::dcgan::{Dcgan, GeneratorError, IMAGE_SIZE, LATENT_DIMS};

/// The finite-difference step in latent units: small next to the latents' spread of 1, large
/// enough that f32 image differences keep several significant digits.
const STEP: f64 = 0.05;

/// `E_z[J(z)ᵀ J(z)]` over `latents` for the pixels outside `attribute`'s region (all three
/// channels, on the generator's [-1, 1] scale), divided by the number of those values so that
/// `dᵀ S d` is the mean squared change per value; a row-major `100 × 100` matrix. Each latent costs one batch of 101 images
/// (forward differences along each axis).
pub fn outside_sensitivity(
    generator: &Dcgan,
    attribute: &Attribute,
    latents: &[Vec<f32>],
    progress: &dyn Progress,
) -> Result<Vec<f64>, GeneratorError> {
    let plane = IMAGE_SIZE * IMAGE_SIZE;
    let outside: Vec<usize> = (0..plane)
        .filter(|&p| !attribute.in_region(p % IMAGE_SIZE, p / IMAGE_SIZE))
        .flat_map(|p| (0..3).map(move |channel| channel * plane + p))
        .collect();
    let mut sensitivity = vec![0.0f64; LATENT_DIMS * LATENT_DIMS];
    progress.start("probing the generator", Some(latents.len() as u64), Unit::Items);
    for z in latents {
        let mut batch = vec![z.clone()];
        for axis in 0..z.len() {
            let mut stepped = z.clone();
            stepped[axis] = (f64::from(stepped[axis]) + STEP) as f32;
            batch.push(stepped);
        }
        let images = generator.generate(&batch)?;
        let base = images.image(0);
        // Column `axis` of the Jacobian, restricted to the outside pixels.
        let columns: Vec<Vec<f64>> = (0..LATENT_DIMS)
            .map(|axis| {
                let image = images.image(axis + 1);
                outside.iter().map(|&i| f64::from(image[i] - base[i]) / STEP).collect()
            })
            .collect();
        for i in 0..LATENT_DIMS {
            for j in i..LATENT_DIMS {
                let dot: f64 = columns[i].iter().zip(&columns[j]).map(|(a, b)| a * b).sum();
                sensitivity[i * LATENT_DIMS + j] += dot / (latents.len() * outside.len()) as f64;
            }
        }
        progress.advance(1);
    }
    progress.finish();
    for i in 0..LATENT_DIMS {
        for j in 0..i {
            sensitivity[i * LATENT_DIMS + j] = sensitivity[j * LATENT_DIMS + i];
        }
    }
    Ok(sensitivity)
}

/// The unit direction closest in effect to `direction` that changes the outside least:
/// `(S + λ I)⁻¹ d`, with `λ = ridge · trace(S) / n`, scaled to unit length. A smaller `ridge`
/// is more local; a very large one returns `direction` itself.
pub fn localize(direction: &[f64], sensitivity: &[f64], ridge: f64) -> Option<Vec<f64>> {
    let n = direction.len();
    if sensitivity.len() != n * n || ridge.is_nan() || ridge <= 0.0 {
        return None;
    }
    let lambda = ridge * (0..n).map(|i| sensitivity[i * n + i]).sum::<f64>() / n as f64;
    let a: Vec<Vec<f64>> =
        (0..n).map(|i| (0..n).map(|j| sensitivity[i * n + j] + if i == j { lambda } else { 0.0 }).collect()).collect();
    let d = vecspace_core::linalg::solve(a, direction.to_vec())?;
    let length = d.iter().map(|x| x * x).sum::<f64>().sqrt();
    (length > 0.0 && length.is_finite()).then(|| d.iter().map(|x| x / length).collect())
}

/// The mean squared change per outside value, per unit step along `direction`: `dᵀ S d / |d|²`.
pub fn outside_change_rate(direction: &[f64], sensitivity: &[f64]) -> f64 {
    let n = direction.len();
    let length2: f64 = direction.iter().map(|x| x * x).sum();
    let mut total = 0.0;
    for i in 0..n {
        for j in 0..n {
            total += direction[i] * sensitivity[i * n + j] * direction[j];
        }
    }
    total / length2
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn localizing_avoids_the_sensitive_axes_and_keeps_the_rest() {
        // The outside responds strongly to axis 0 and not at all to axes 1 and 2.
        let sensitivity = vec![100.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0];
        let d = [0.6, 0.8, 0.0];
        let local = localize(&d, &sensitivity, 0.01).unwrap();
        assert!(local[0].abs() < 0.01 && (local[1] - 1.0).abs() < 1e-3 && local[2] == 0.0, "{local:?}");
        assert!(outside_change_rate(&local, &sensitivity) < 0.01 * outside_change_rate(&d, &sensitivity));
        // A huge ridge leaves the direction as it was.
        let same = localize(&d, &sensitivity, 1e9).unwrap();
        assert!((same[0] - 0.6).abs() < 1e-6 && (same[1] - 0.8).abs() < 1e-6, "{same:?}");
        assert!(localize(&d, &sensitivity, 0.0).is_none());
    }
}

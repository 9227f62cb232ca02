//! Latent expressions of an image generator (`seed:12 + 1.5*@smile`, `z:3`, `slerp(…)`), with
//! saved directions resolved from the store, and edit directions kept orthogonal to others.

use std::path::Path;

use super::{DirectionStore, Error, Result};
use crate::latent::{LatentResolver, dcgan};

/// Most latents a file of given latents may hold.
pub const MOST_GIVEN: usize = 1_000_000;

/// The latents of a `.npy` file of shape (100,) or (n, 100), named `z:0`, `z:1`, … in
/// expressions; none without a file.
pub fn given_latents(z_file: Option<&Path>) -> Result<Vec<Vec<f32>>> {
    match z_file {
        Some(path) => Ok(crate::formats::npy::read_vectors(path, dcgan::LATENT_DIMS, MOST_GIVEN)?),
        None => Ok(Vec::new()),
    }
}

/// The latent an expression evaluates to; `z:N` names the N-th of the `given` latents and `@name`
/// a saved direction.
pub fn evaluate(store: &DirectionStore, expression: &str, given: &[Vec<f32>]) -> Result<Vec<f32>> {
    let expr = crate::expr::parse(expression).map_err(|e| Error::LatentExpression(e.into()))?;
    let directions = store.referenced(&expr, dcgan::LATENT_DIMS)?;
    let value = crate::direction::evaluate_with(&expr, expression, LatentResolver { given }, &directions)
        .map_err(Error::LatentExpression)?;
    value.into_vector().ok_or_else(|| Error::invalid(format!("{expression:?} is a number, not a latent")))
}

/// `unit(direction)` made orthogonal to every direction in `keep` (Gram–Schmidt), then unit
/// length: InterFaceGAN's conditional manipulation, which edits one attribute while keeping
/// others.
pub fn orthogonal_unit(direction: &[f32], keep: &[Vec<f32>]) -> Result<Vec<f64>> {
    let mut basis: Vec<Vec<f64>> = Vec::new();
    for k in keep {
        let mut v: Vec<f64> = k.iter().map(|&x| f64::from(x)).collect();
        remove_components(&mut v, &basis);
        let length = norm(&v);
        if length > 1e-9 {
            basis.push(v.iter().map(|x| x / length).collect());
        }
    }
    let mut d: Vec<f64> = direction.iter().map(|&x| f64::from(x)).collect();
    remove_components(&mut d, &basis);
    let length = norm(&d);
    if length < 1e-9 {
        return Err(Error::invalid("the direction lies within the directions to keep; nothing is left to edit"));
    }
    Ok(d.iter().map(|x| x / length).collect())
}

/// Subtracts from `v` its components along each unit vector of an orthonormal `basis`.
fn remove_components(v: &mut [f64], basis: &[Vec<f64>]) {
    for b in basis {
        let along: f64 = v.iter().zip(b).map(|(x, y)| x * y).sum();
        v.iter_mut().zip(b).for_each(|(x, y)| *x -= along * y);
    }
}

fn norm(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum::<f64>().sqrt()
}

/// How frames between two latents are made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Interpolation {
    /// Spherical: stays on the sphere where Gaussian latents live.
    #[default]
    Slerp,
    /// Linear.
    Lerp,
}

impl std::fmt::Display for Interpolation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Interpolation::Slerp => "slerp",
            Interpolation::Lerp => "lerp",
        })
    }
}

impl std::str::FromStr for Interpolation {
    type Err = Error;
    fn from_str(s: &str) -> Result<Interpolation> {
        match s {
            "slerp" => Ok(Interpolation::Slerp),
            "lerp" => Ok(Interpolation::Lerp),
            other => Err(Error::invalid(format!("unknown interpolation {other:?}: use slerp or lerp"))),
        }
    }
}

/// Most frames one interpolation or sweep makes.
pub const MOST_FRAMES: usize = 1024;

/// `steps` evenly spaced numbers from `from` to `to`, both included.
pub fn spaced(from: f64, to: f64, steps: usize) -> Result<Vec<f64>> {
    if !(2..=MOST_FRAMES).contains(&steps) {
        return Err(Error::invalid(format!("--steps must be between 2 and {MOST_FRAMES}")));
    }
    Ok((0..steps).map(|i| from + (to - from) * i as f64 / (steps - 1) as f64).collect())
}

/// `steps` frames from `a` to `b`, each with its t in [0, 1].
pub fn interpolate(a: &[f32], b: &[f32], steps: usize, method: Interpolation) -> Result<Vec<(f64, Vec<f32>)>> {
    spaced(0.0, 1.0, steps)?
        .into_iter()
        .map(|t| {
            let frame = match method {
                Interpolation::Lerp => Some(crate::expr::lerp(a, b, t)),
                Interpolation::Slerp => crate::expr::slerp(a, b, t),
            };
            frame.map(|z| (t, z)).ok_or_else(|| Error::invalid("slerp is undefined when an end is the zero vector"))
        })
        .collect()
}

/// The latent moved `k` units along the unit direction `unit`, for each `k`: the frames of an
/// edit sweep.
pub fn sweep(z: &[f32], unit: &[f64], ks: &[f64]) -> Vec<Vec<f32>> {
    ks.iter().map(|&k| crate::latent::measure::moved(z, unit, k)).collect()
}

/// A visual analogy as in the DCGAN paper: A, B, C, then B − A + C, then `variants` copies of it
/// with uniform noise in [−noise, noise] added to each coordinate (seeded), to show the result is
/// not one lucky point.
pub fn visual_analogy(
    a: Vec<f32>,
    b: Vec<f32>,
    c: Vec<f32>,
    variants: usize,
    noise: f64,
    seed: u64,
) -> Result<Vec<Vec<f32>>> {
    if !(noise.is_finite() && noise >= 0.0) {
        return Err(Error::invalid("--noise must be a number ≥ 0"));
    }
    let result: Vec<f32> = b.iter().zip(&a).zip(&c).map(|((b, a), c)| b - a + c).collect();
    let mut rng = crate::latent::seeds::SplitMix64(seed);
    let mut latents = vec![a, b, c, result.clone()];
    for _ in 0..variants {
        latents.push(result.iter().map(|&x| (f64::from(x) + noise * (2.0 * rng.next_f64() - 1.0)) as f32).collect());
    }
    Ok(latents)
}

/// The spread of one attribute's scores over many faces, and the faces at each end.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ScoreSummary {
    pub attribute: String,
    pub mean: f64,
    /// Population standard deviation.
    pub std: f64,
    /// The five lowest-scoring latents' names, lowest first.
    pub lowest: Vec<String>,
    /// The five highest-scoring latents' names, highest first.
    pub highest: Vec<String>,
}

/// Per attribute (column of `rows`' scores): mean, spread and the exemplars at each end.
pub fn summarize_scores(attributes: &[&str], rows: &[(String, Vec<f64>)]) -> Vec<ScoreSummary> {
    attributes
        .iter()
        .enumerate()
        .map(|(column, &attribute)| {
            let values: Vec<f64> = rows.iter().map(|(_, v)| v[column]).collect();
            let n = values.len() as f64;
            let mean = values.iter().sum::<f64>() / n;
            let std = (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt();
            let mut order: Vec<usize> = (0..rows.len()).collect();
            order.sort_by(|&a, &b| values[a].total_cmp(&values[b]).then(a.cmp(&b)));
            let label = |&i: &usize| rows[i].0.clone();
            let lowest = order.iter().take(5).map(label).collect();
            let highest = order.iter().rev().take(5).map(label).collect();
            ScoreSummary { attribute: attribute.to_owned(), mean, std, lowest, highest }
        })
        .collect()
}

/// A direction made local to an attribute's region, and what that cost.
pub struct Localized {
    pub direction: crate::Direction,
    /// Cosine between the localised direction and the original.
    pub kept: f64,
    /// RMS change per outside value per unit step, before and after.
    pub outside_before: f64,
    pub outside_after: f64,
}

/// Keeps a direction's effect while changing the image outside `region` as little as possible: a
/// ridge solve against the generator's Jacobian averaged over `latents` (LowRankGAN-style).
pub fn localize(
    generator: &crate::latent::Dcgan,
    original: &crate::Direction,
    region: &crate::latent::Attribute,
    region_name: &str,
    latents: &[Vec<f32>],
    ridge: f64,
    progress: &dyn crate::progress::Progress,
) -> Result<Localized> {
    use crate::latent::localize as local;
    if !region.is_local() {
        return Err(Error::invalid(format!(
            "{region_name} reads the whole image; localise to an attribute with a region"
        )));
    }
    if !(ridge.is_finite() && ridge > 0.0) {
        return Err(Error::invalid("--ridge must be a number > 0"));
    }
    let sensitivity = local::outside_sensitivity(generator, region, latents, progress)?;
    let d: Vec<f64> = original.unit().iter().map(|&x| f64::from(x)).collect();
    let localized = local::localize(&d, &sensitivity, ridge).ok_or_else(|| {
        Error::invalid("the localising solve failed (the sensitivity matrix is degenerate); try a larger --ridge")
    })?;
    let rate = |v: &[f64]| local::outside_change_rate(v, &sensitivity).sqrt();
    let mut info = original.info.clone();
    info.method =
        format!("{}, localised to the {region_name} region ({} latents, ridge {ridge})", info.method, latents.len());
    // The original's accuracy belonged to the original boundary.
    info.accuracy = None;
    Ok(Localized {
        kept: localized.iter().zip(&d).map(|(a, b)| a * b).sum(),
        outside_before: rate(&d),
        outside_after: rate(&localized),
        direction: crate::Direction { vector: localized.iter().map(|&x| x as f32).collect(), info },
    })
}

/// A measured attribute of a face by name (`smile`, `brightness`, …), or an error naming them all.
pub fn attribute(name: &str) -> Result<&'static crate::latent::Attribute> {
    crate::latent::attribute(name).ok_or_else(|| {
        let known: Vec<&str> = crate::latent::ATTRIBUTES.iter().map(|a| a.name).collect();
        Error::invalid(format!("unknown attribute {name:?}; known: {}", known.join(", ")))
    })
}

#[cfg(test)]
mod tests {
    use super::{orthogonal_unit, visual_analogy};

    #[test]
    fn a_visual_analogy_is_b_minus_a_plus_c_with_bounded_seeded_noise() {
        let (a, b, c) = (vec![1.0f32, 0.0], vec![1.0, 1.0], vec![0.0, 2.0]);
        let latents = visual_analogy(a, b, c, 3, 0.25, 7).unwrap();
        assert_eq!(latents.len(), 7);
        assert_eq!(latents[3], [0.0, 3.0]);
        for variant in &latents[4..] {
            assert!(variant.iter().zip(&latents[3]).all(|(v, r)| (v - r).abs() <= 0.25), "{variant:?}");
            assert_ne!(variant, &latents[3]);
        }
        let again = visual_analogy(vec![1.0, 0.0], vec![1.0, 1.0], vec![0.0, 2.0], 3, 0.25, 7).unwrap();
        assert_eq!(again, latents, "the same seed gives the same noise");
        assert!(visual_analogy(vec![0.0], vec![0.0], vec![0.0], 1, f64::NAN, 0).is_err());
    }

    #[test]
    fn the_edit_direction_loses_its_components_along_kept_ones() {
        let d = [1.0f32, 1.0, 1.0];
        let keep = vec![vec![2.0f32, 0.0, 0.0], vec![1.0, 1.0, 0.0]];
        let unit = orthogonal_unit(&d, &keep).unwrap();
        // What is left of (1, 1, 1) outside the x–y plane is the z axis.
        assert!((unit[0]).abs() < 1e-12 && (unit[1]).abs() < 1e-12 && (unit[2] - 1.0).abs() < 1e-12, "{unit:?}");
    }

    #[test]
    fn a_direction_inside_the_kept_ones_is_refused() {
        let err = orthogonal_unit(&[1.0, 2.0], &[vec![1.0, 0.0], vec![0.0, 3.0]]).unwrap_err();
        assert!(err.to_string().contains("nothing is left to edit"), "{err}");
    }
}

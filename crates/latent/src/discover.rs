//! Directions in a generator's latent space found without labels.
//!
//! - **SeFa** (Shen & Zhou 2021, "Closed-Form Factorization of Latent Semantics in GANs"): the
//!   latent directions `n` that the first layer's weight `A` stretches most — maximal `‖A n‖²`,
//!   the top eigenvectors of `AᵀA`. Seconds, no sampling.
//! - **GANSpace** (Härkönen et al. 2020, "GANSpace: Discovering Interpretable GAN Controls"): the
//!   principal components of one layer's activations over many sampled latents. For a generator
//!   whose latents feed the first layer directly (a DCGAN has no mapping network), the paper
//!   carries each component back to the latent space by a linear regression of the latents on
//!   their component coordinates.

use candle_core::{Device, Tensor};
use vecspace_core::linalg::{self, Eigen};
use vecspace_core::progress::{Progress, Unit};

use crate::dcgan::{self, Dcgan, GeneratorError, LATENT_DIMS};
use crate::seeds::seed_latent;

/// One discovered direction.
#[derive(Debug, Clone, PartialEq)]
pub struct Component {
    /// The unit direction in the latent space.
    pub vector: Vec<f32>,
    /// SeFa: the eigenvalue `‖A n‖²`. GANSpace: the variance of the layer's activations along the
    /// component.
    pub value: f64,
    /// The share of the whole (the trace of `AᵀA`, or the activations' total variance) that
    /// `value` is.
    pub share: f64,
}

/// The `top` SeFa directions of a generator, strongest first.
pub fn sefa(generator: &Dcgan, top: usize) -> Result<Vec<Component>, GeneratorError> {
    let weight = generator.first_weight()?;
    let width = weight.len() / LATENT_DIMS;
    let row = |i: usize| &weight[i * width..(i + 1) * width];
    // AᵀA, where A maps a latent to the first layer's outputs: entry (i, j) is the dot product of
    // the weight rows of latent coordinates i and j.
    let mut gram = vec![0.0f64; LATENT_DIMS * LATENT_DIMS];
    for i in 0..LATENT_DIMS {
        for j in 0..=i {
            let dot: f64 = row(i).iter().zip(row(j)).map(|(&a, &b)| f64::from(a) * f64::from(b)).sum();
            gram[i * LATENT_DIMS + j] = dot;
            gram[j * LATENT_DIMS + i] = dot;
        }
    }
    let Eigen { values, vectors } = linalg::symmetric_eigen(&gram, LATENT_DIMS)
        .ok_or_else(|| GeneratorError::Weights("the first layer's weight holds values that are not finite".into()))?;
    let trace: f64 = values.iter().sum();
    Ok(values
        .into_iter()
        .zip(vectors)
        .take(top)
        .map(|(value, vector)| Component {
            vector: vector.iter().map(|&x| x as f32).collect(),
            value,
            share: value / trace,
        })
        .collect())
}

/// How GANSpace samples.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GanspaceOptions {
    /// The layer whose activations are analysed (1 to 4; see [`Dcgan::activations`]).
    pub layer: usize,
    /// How many latents are sampled: `seed:(first_seed + i)` for `i` below this.
    pub samples: usize,
    pub first_seed: u64,
    /// How many components to find.
    pub top: usize,
}

impl Default for GanspaceOptions {
    /// The first hidden layer, 10 000 latents from seeds that the scoring and measuring defaults
    /// leave alone.
    fn default() -> GanspaceOptions {
        GanspaceOptions { layer: 1, samples: 10_000, first_seed: 1 << 41, top: 10 }
    }
}

/// Most activation values GANSpace holds at once (1 GiB of floats): 10 000 latents at layer 2.
pub const MOST_ACTIVATIONS: usize = 1 << 28;

/// The result of GANSpace: the latent directions, and the activation-space components they came
/// from (unit, orthogonal, by falling variance).
#[derive(Debug, Clone, PartialEq)]
pub struct Ganspace {
    pub directions: Vec<Component>,
    pub activation_components: Vec<Vec<f32>>,
}

/// GANSpace: the `top` principal components of layer `layer`'s activations over the sampled
/// latents, each carried back to a unit latent direction by least squares.
pub fn ganspace(
    generator: &Dcgan,
    options: GanspaceOptions,
    progress: &dyn Progress,
) -> Result<Ganspace, GeneratorError> {
    let GanspaceOptions { layer, samples, first_seed, top } = options;
    if !(1..dcgan::LAYERS).contains(&layer) {
        return Err(GeneratorError::NoLayer { layer, layers: dcgan::LAYERS - 1 });
    }
    let size = dcgan::layer_size(layer);
    if top == 0 || samples <= top || samples.saturating_mul(size) > MOST_ACTIVATIONS {
        return Err(GeneratorError::Sampling(format!(
            "GANSpace needs more samples than components and at most {MOST_ACTIVATIONS} activation values \
             ({samples} samples × {size} values at layer {layer}, {top} components)"
        )));
    }
    let latents: Vec<Vec<f32>> = (0..samples as u64).map(|i| seed_latent(first_seed + i, LATENT_DIMS)).collect();
    let mut activations = Vec::with_capacity(samples * size);
    progress.start(&format!("sampling layer {layer}"), Some(samples as u64), Unit::Items);
    for batch in latents.chunks(250) {
        activations.extend(generator.activations(batch, layer)?);
        progress.advance(batch.len() as u64);
    }
    progress.finish();
    let pca = principal_components(activations, samples, size, top, progress)?;
    // The latents' coordinates on each component, then least squares: latent ≈ U · coordinates,
    // one k × k solve per latent coordinate with the same (CᵀC).
    let coordinates = &pca.scores;
    let mut gram = vec![vec![0.0f64; top]; top];
    let mut cross = vec![vec![0.0f64; top]; LATENT_DIMS];
    for (z, c) in latents.iter().zip(coordinates.chunks(top)) {
        for a in 0..top {
            for b in 0..top {
                gram[a][b] += f64::from(c[a]) * f64::from(c[b]);
            }
            for (i, &zi) in z.iter().enumerate() {
                cross[i][a] += f64::from(zi) * f64::from(c[a]);
            }
        }
    }
    let mut basis = vec![vec![0.0f64; LATENT_DIMS]; top];
    for (i, row) in cross.into_iter().enumerate() {
        let solved = linalg::solve(gram.clone(), row)
            .ok_or_else(|| GeneratorError::Sampling("the component coordinates are degenerate".into()))?;
        for (a, value) in solved.into_iter().enumerate() {
            basis[a][i] = value;
        }
    }
    let mut directions = Vec::with_capacity(top);
    for (u, &variance) in basis.iter().zip(&pca.variances) {
        let length = u.iter().map(|x| x * x).sum::<f64>().sqrt();
        if !(length > 0.0 && length.is_finite()) {
            return Err(GeneratorError::Sampling("a component has no latent direction".into()));
        }
        directions.push(Component {
            vector: u.iter().map(|x| (x / length) as f32).collect(),
            value: variance,
            share: variance / pca.total_variance,
        });
    }
    let activation_components = pca.components.chunks(size).map(<[f32]>::to_vec).collect();
    Ok(Ganspace { directions, activation_components })
}

/// The leading principal components of `n` rows of `d` values.
#[derive(Debug, Clone, PartialEq)]
pub struct Pca {
    /// `k` unit components of `d` values each, one after another, by falling variance; each signed
    /// so that its largest-magnitude value is positive.
    pub components: Vec<f32>,
    pub variances: Vec<f64>,
    /// The sum of the variances of all `d` coordinates.
    pub total_variance: f64,
    /// Each row's coordinates on the components, `n × k`.
    pub scores: Vec<f32>,
}

/// The top `k` principal components of the `n × d` rows by subspace iteration with a
/// Rayleigh–Ritz step (Halko, Martinsson & Tropp 2011, with `k + 10` vectors): the rows are only
/// ever multiplied, never squared into a `d × d` covariance.
pub fn principal_components(
    mut rows: Vec<f32>,
    n: usize,
    d: usize,
    k: usize,
    progress: &dyn Progress,
) -> Result<Pca, GeneratorError> {
    if n < 2 || d == 0 || rows.len() != n * d || k == 0 || k > d.min(n) {
        return Err(GeneratorError::Sampling(format!("cannot find {k} components of {n} rows of {d} values")));
    }
    let mut mean = vec![0.0f64; d];
    for row in rows.chunks(d) {
        mean.iter_mut().zip(row).for_each(|(m, &x)| *m += f64::from(x));
    }
    mean.iter_mut().for_each(|m| *m /= n as f64);
    let mut total = 0.0f64;
    for row in rows.chunks_mut(d) {
        for (x, m) in row.iter_mut().zip(&mean) {
            let centred = f64::from(*x) - m;
            total += centred * centred;
            *x = centred as f32;
        }
    }
    let total_variance = total / (n - 1) as f64;
    let x = Tensor::from_vec(rows, (n, d), &Device::Cpu)?;
    let width = (k + 10).min(d).min(n);
    // A seeded random start, so that every run finds the same components.
    let mut rng = vecspace_core::random::SplitMix64(0x5eed);
    let mut basis: Vec<Vec<f64>> = (0..width).map(|_| (0..d).map(|_| rng.next_f64() - 0.5).collect()).collect();
    orthonormalize(&mut basis)?;
    const MOST_ITERATIONS: usize = 50;
    progress.start("principal components", Some(MOST_ITERATIONS as u64), Unit::Items);
    let mut previous: Option<Vec<f64>> = None;
    let mut ritz;
    let mut iteration = 0;
    loop {
        iteration += 1;
        // Rayleigh–Ritz: the best k components within span(basis).
        let flat: Vec<f32> = basis.iter().flatten().map(|&x| x as f32).collect();
        let projected = times_transposed(&x, &flat, d)?; // n × width
        let mut small = vec![0.0f64; width * width];
        for p in projected.chunks(width) {
            for a in 0..width {
                for b in 0..=a {
                    small[a * width + b] += f64::from(p[a]) * f64::from(p[b]);
                }
            }
        }
        for a in 0..width {
            for b in 0..a {
                small[b * width + a] = small[a * width + b];
            }
        }
        ritz = linalg::symmetric_eigen(&small, width)
            .ok_or_else(|| GeneratorError::Sampling("the activations hold values that are not finite".into()))?;
        progress.advance(1);
        let converged = previous.as_ref().is_some_and(|before: &Vec<f64>| {
            before.iter().zip(&ritz.values).take(k).all(|(a, b)| (a - b).abs() <= 1e-6 * b.abs().max(1e-30))
        });
        if converged || iteration == MOST_ITERATIONS {
            break;
        }
        previous = Some(ritz.values.clone());
        // One power step: basis ← orth(Xᵀ X basis).
        basis = transposed_times(&x, &projected, width)?;
        orthonormalize(&mut basis)?;
    }
    progress.finish();
    let mut components = Vec::with_capacity(k * d);
    for vector in ritz.vectors.iter().take(k) {
        let mut component = vec![0.0f64; d];
        for (weight, b) in vector.iter().zip(&basis) {
            component.iter_mut().zip(b).for_each(|(c, x)| *c += weight * x);
        }
        let length = component.iter().map(|x| x * x).sum::<f64>().sqrt();
        let largest = component.iter().copied().max_by(|a, b| a.abs().total_cmp(&b.abs())).unwrap_or(1.0);
        let sign = if largest < 0.0 { -1.0 } else { 1.0 };
        components.extend(component.iter().map(|x| (sign * x / length) as f32));
    }
    let variances = ritz.values.iter().take(k).map(|v| v / (n - 1) as f64).collect();
    let scores = times_transposed(&x, &components, d)?;
    Ok(Pca { components, variances, total_variance, scores })
}

/// Modified Gram–Schmidt, twice (enough for orthogonality to rounding).
fn orthonormalize(vectors: &mut [Vec<f64>]) -> Result<(), GeneratorError> {
    for _ in 0..2 {
        for i in 0..vectors.len() {
            let (done, rest) = vectors.split_at_mut(i);
            let v = &mut rest[0];
            for u in done.iter() {
                let along: f64 = v.iter().zip(u).map(|(a, b)| a * b).sum();
                v.iter_mut().zip(u).for_each(|(a, b)| *a -= along * b);
            }
            let length = v.iter().map(|x| x * x).sum::<f64>().sqrt();
            if !(length > 0.0 && length.is_finite()) {
                return Err(GeneratorError::Sampling("the activations span fewer dimensions than asked for".into()));
            }
            v.iter_mut().for_each(|x| *x /= length);
        }
    }
    Ok(())
}

/// `x` (`n × d`) times the transposes of `vectors` (some vectors of `d` values, one after
/// another): `n × count`, row-major.
fn times_transposed(x: &Tensor, vectors: &[f32], d: usize) -> Result<Vec<f32>, GeneratorError> {
    let v = Tensor::from_slice(vectors, (vectors.len() / d, d), &Device::Cpu)?;
    Ok(x.matmul(&v.t()?)?.flatten_all()?.to_vec1::<f32>()?)
}

/// `xᵀ · projected` for `x` (`n × d`) and `projected` (`n × width`), as `width` vectors of `d`.
fn transposed_times(x: &Tensor, projected: &[f32], width: usize) -> Result<Vec<Vec<f64>>, GeneratorError> {
    let (n, d) = x.dims2()?;
    let p = Tensor::from_slice(projected, (n, width), &Device::Cpu)?;
    let product = p.t()?.matmul(x)?.flatten_all()?.to_vec1::<f32>()?;
    Ok(product.chunks(d).map(|c| c.iter().map(|&v| f64::from(v)).collect()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use vecspace_core::progress::Silent;

    /// Subspace iteration finds what the full covariance's eigen-decomposition finds.
    #[test]
    fn principal_components_match_the_covariance_eigenvectors() {
        let (n, d, k) = (600, 40, 5);
        let mut rng = vecspace_core::random::SplitMix64(3);
        // Rows with a decaying spectrum: coordinate j scaled by 1 / (1 + j), then mixed.
        let mix: Vec<f64> = (0..d * d).map(|_| rng.next_f64() - 0.5).collect();
        let mut rows = Vec::with_capacity(n * d);
        for _ in 0..n {
            let raw: Vec<f64> = (0..d).map(|j| (rng.next_f64() - 0.5) / (1.0 + j as f64)).collect();
            rows.extend((0..d).map(|i| (0..d).map(|j| mix[i * d + j] * raw[j]).sum::<f64>() as f32 + 3.0));
        }
        let mut covariance = vec![0.0f64; d * d];
        let mut mean = vec![0.0f64; d];
        for row in rows.chunks(d) {
            mean.iter_mut().zip(row).for_each(|(m, &x)| *m += f64::from(x) / n as f64);
        }
        for row in rows.chunks(d) {
            for i in 0..d {
                for j in 0..d {
                    covariance[i * d + j] +=
                        (f64::from(row[i]) - mean[i]) * (f64::from(row[j]) - mean[j]) / (n - 1) as f64;
                }
            }
        }
        let exact = linalg::symmetric_eigen(&covariance, d).unwrap();
        let pca = principal_components(rows.clone(), n, d, k, &Silent).unwrap();
        for (c, (value, vector)) in exact.values.iter().zip(&exact.vectors).take(k).enumerate() {
            let got = &pca.components[c * d..(c + 1) * d];
            let dot: f64 = got.iter().zip(vector).map(|(&a, b)| f64::from(a) * b).sum();
            assert!(dot > 0.9999, "component {c}: cosine {dot} with the exact eigenvector");
            assert!((pca.variances[c] - value).abs() < 1e-4 * value, "{} against {value}", pca.variances[c]);
        }
        let trace: f64 = (0..d).map(|i| covariance[i * d + i]).sum();
        assert!((pca.total_variance - trace).abs() < 1e-6 * trace);
        assert!(pca.variances.windows(2).all(|w| w[0] >= w[1]));
        assert!(principal_components(rows, n, d, d + 1, &Silent).is_err());
    }
}

//! Two-dimensional layouts of a few vectors, for pictures: PCA, t-SNE, or two chosen axes.

/// Points in the plane, one per input vector, and what each axis shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    pub points: Vec<[f64; 2]>,
    /// Axis titles, such as `PC1 (38.2 % of variance)`.
    pub axes: [String; 2],
}

/// Principal-component layout: the vectors centred on their mean and projected on the first two
/// principal components. Each component's sign is chosen so that its largest coefficient is
/// positive, so the picture does not flip between runs or machines.
pub fn pca(vectors: &[Vec<f32>]) -> Option<Layout> {
    let n = vectors.len();
    if n < 3 {
        return None;
    }
    let dims = vectors[0].len();
    let mut mean = vec![0.0f64; dims];
    for v in vectors {
        mean.iter_mut().zip(v).for_each(|(m, &x)| *m += f64::from(x) / n as f64);
    }
    let centred: Vec<Vec<f64>> =
        vectors.iter().map(|v| v.iter().zip(&mean).map(|(&x, m)| f64::from(x) - m).collect()).collect();
    let total: f64 = centred.iter().flatten().map(|x| x * x).sum();
    if total == 0.0 {
        return None;
    }
    let mut residual = centred.clone();
    let mut components = Vec::new();
    for _ in 0..2 {
        let mut component = crate::direction::principal_component(&residual)?;
        let largest = component.iter().copied().max_by(|a, b| a.abs().total_cmp(&b.abs())).unwrap_or(1.0);
        if largest < 0.0 {
            component.iter_mut().for_each(|c| *c = -*c);
        }
        // Deflate: remove this component from every point before finding the next.
        for row in &mut residual {
            let along: f64 = row.iter().zip(&component).map(|(a, b)| a * b).sum();
            row.iter_mut().zip(&component).for_each(|(x, c)| *x -= along * c);
        }
        components.push(component);
    }
    let points: Vec<[f64; 2]> = centred
        .iter()
        .map(|row| {
            let along = |c: &Vec<f64>| row.iter().zip(c).map(|(a, b)| a * b).sum::<f64>();
            [along(&components[0]), along(&components[1])]
        })
        .collect();
    let variance = |k: usize| points.iter().map(|p| p[k] * p[k]).sum::<f64>() / total * 100.0;
    Some(Layout {
        axes: [format!("PC1 ({:.1} % of variance)", variance(0)), format!("PC2 ({:.1} % of variance)", variance(1))],
        points,
    })
}

/// Layout on two chosen axes: each vector's scalar projection on each axis's unit vector.
pub fn on_axes(vectors: &[Vec<f32>], axes: [&[f32]; 2], titles: [String; 2]) -> Option<Layout> {
    let unit = |axis: &[f32]| -> Option<Vec<f64>> {
        let length = crate::length(axis);
        (length > 0.0).then(|| axis.iter().map(|&x| f64::from(x) / length).collect())
    };
    let (x, y) = (unit(axes[0])?, unit(axes[1])?);
    let project = |v: &Vec<f32>, axis: &Vec<f64>| v.iter().zip(axis).map(|(&a, b)| f64::from(a) * b).sum::<f64>();
    Some(Layout { points: vectors.iter().map(|v| [project(v, &x), project(v, &y)]).collect(), axes: titles })
}

/// Exact t-SNE (van der Maaten & Hinton 2008) with a seeded start: the same seed gives the same
/// picture on every machine. Cost is quadratic in the number of points, fine for the few hundred
/// words a picture can show.
pub fn tsne(vectors: &[Vec<f32>], perplexity: f64, seed: u64, iterations: usize) -> Option<Layout> {
    let n = vectors.len();
    if n < 3 {
        return None;
    }
    let perplexity = perplexity.min((n as f64 - 1.0) / 3.0).max(1.0);
    let distance = |i: usize, j: usize| -> f64 {
        vectors[i].iter().zip(&vectors[j]).map(|(&a, &b)| (f64::from(a) - f64::from(b)).powi(2)).sum()
    };
    let d: Vec<Vec<f64>> = (0..n).map(|i| (0..n).map(|j| distance(i, j)).collect()).collect();
    // Conditional probabilities with a per-point precision found by bisection on the entropy.
    let target = perplexity.ln();
    let mut p = vec![vec![0.0f64; n]; n];
    for i in 0..n {
        let (mut beta, mut low, mut high) = (1.0f64, 0.0f64, f64::INFINITY);
        for _ in 0..100 {
            let mut sum = 0.0;
            for j in 0..n {
                p[i][j] = if i == j { 0.0 } else { (-d[i][j] * beta).exp() };
                sum += p[i][j];
            }
            let sum = sum.max(1e-300);
            let mut entropy = 0.0;
            for probability in &mut p[i] {
                *probability /= sum;
                if *probability > 1e-300 {
                    entropy -= *probability * probability.ln();
                }
            }
            if (entropy - target).abs() < 1e-6 {
                break;
            }
            if entropy > target {
                low = beta;
                beta = if high.is_finite() { (beta + high) / 2.0 } else { beta * 2.0 };
            } else {
                high = beta;
                beta = (beta + low) / 2.0;
            }
        }
    }
    let joint: Vec<Vec<f64>> =
        (0..n).map(|i| (0..n).map(|j| ((p[i][j] + p[j][i]) / (2.0 * n as f64)).max(1e-12)).collect()).collect();

    let mut state = seed;
    let mut gaussian = move || {
        // Box–Muller on SplitMix64 draws.
        let mut next = || {
            state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
        };
        let (u, v) = (next().max(1e-300), next());
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    };
    let mut y: Vec<[f64; 2]> = (0..n).map(|_| [gaussian() * 1e-4, gaussian() * 1e-4]).collect();
    let mut velocity = vec![[0.0f64; 2]; n];
    let mut gains = vec![[1.0f64; 2]; n];
    let learning_rate = (n as f64 / 12.0).max(50.0);
    for iteration in 0..iterations {
        let exaggeration = if iteration < 250 { 12.0 } else { 1.0 };
        let momentum = if iteration < 250 { 0.5 } else { 0.8 };
        let mut num = vec![vec![0.0f64; n]; n];
        let mut total = 0.0;
        for i in 0..n {
            for j in 0..n {
                if i != j {
                    let dist = (y[i][0] - y[j][0]).powi(2) + (y[i][1] - y[j][1]).powi(2);
                    num[i][j] = 1.0 / (1.0 + dist);
                    total += num[i][j];
                }
            }
        }
        for i in 0..n {
            let mut gradient = [0.0f64; 2];
            for j in 0..n {
                if i != j {
                    let q = (num[i][j] / total).max(1e-12);
                    let coefficient = 4.0 * (exaggeration * joint[i][j] - q) * num[i][j];
                    gradient[0] += coefficient * (y[i][0] - y[j][0]);
                    gradient[1] += coefficient * (y[i][1] - y[j][1]);
                }
            }
            for k in 0..2 {
                let same_sign = (gradient[k] > 0.0) == (velocity[i][k] > 0.0);
                gains[i][k] = if same_sign { (gains[i][k] * 0.8).max(0.01) } else { gains[i][k] + 0.2 };
                velocity[i][k] = momentum * velocity[i][k] - learning_rate * gains[i][k] * gradient[k];
            }
        }
        for i in 0..n {
            y[i][0] += velocity[i][0];
            y[i][1] += velocity[i][1];
        }
        let centre = [y.iter().map(|p| p[0]).sum::<f64>() / n as f64, y.iter().map(|p| p[1]).sum::<f64>() / n as f64];
        y.iter_mut().for_each(|p| {
            p[0] -= centre[0];
            p[1] -= centre[1];
        });
    }
    Some(Layout { points: y, axes: ["t-SNE 1".into(), "t-SNE 2".into()] })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pca_recovers_a_plane_and_its_variance() {
        // Points on a line along (1, 1, 0) with a smaller spread along (0, 0, 1).
        let vectors: Vec<Vec<f32>> = (0..7)
            .map(|i| {
                let t = i as f32 - 3.0;
                vec![t, t, 0.3 * (i % 3) as f32]
            })
            .collect();
        let layout = pca(&vectors).unwrap();
        // PC1 coordinates are the positions along the line, scaled by √2, signed positive.
        for (i, p) in layout.points.iter().enumerate() {
            let t = i as f64 - 3.0;
            assert!((p[0].abs() - t.abs() * 2f64.sqrt()).abs() < 0.05, "{p:?}");
        }
        assert!(layout.axes[0].starts_with("PC1 (9"), "{:?}", layout.axes);
        assert!(pca(&vectors[..2]).is_none());
    }

    #[test]
    fn tsne_keeps_neighbours_together_and_is_reproducible() {
        let mut vectors = Vec::new();
        for cluster in 0..3 {
            for i in 0..6 {
                let mut v = vec![0.0f32; 5];
                v[cluster] = 10.0;
                v[4] = i as f32 * 0.1;
                vectors.push(v);
            }
        }
        let a = tsne(&vectors, 5.0, 1, 500).unwrap();
        assert_eq!(a, tsne(&vectors, 5.0, 1, 500).unwrap());
        // Every point's nearest neighbour in the picture is from its own cluster.
        for (i, p) in a.points.iter().enumerate() {
            let nearest = (0..a.points.len())
                .filter(|&j| j != i)
                .min_by(|&x, &y| {
                    let d = |j: usize| (a.points[j][0] - p[0]).powi(2) + (a.points[j][1] - p[1]).powi(2);
                    d(x).total_cmp(&d(y))
                })
                .unwrap();
            assert_eq!(nearest / 6, i / 6, "point {i} sits next to another cluster's point {nearest}");
        }
    }
}

//! Correlation coefficients as SciPy computes them (word-similarity benchmarks, edit sweeps).

/// Pearson's r, accumulated in f64. NaN when either side has no variance (as SciPy warns).
pub fn pearson(x: &[f64], y: &[f64]) -> f64 {
    assert_eq!(x.len(), y.len(), "pearson: the two samples differ in length");
    let n = x.len() as f64;
    let (mean_x, mean_y) = (x.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
    let (mut xy, mut xx, mut yy) = (0.0, 0.0, 0.0);
    for (&a, &b) in x.iter().zip(y) {
        let (dx, dy) = (a - mean_x, b - mean_y);
        xy += dx * dy;
        xx += dx * dx;
        yy += dy * dy;
    }
    (xy / (xx.sqrt() * yy.sqrt())).clamp(-1.0, 1.0)
}

/// Spearman's ρ: Pearson's r of the ranks, ties given their average rank (`scipy.stats.rankdata`
/// with `method="average"`, which `spearmanr` uses).
pub fn spearman(x: &[f64], y: &[f64]) -> f64 {
    pearson(&average_ranks(x), &average_ranks(y))
}

/// 1-based ranks, tied values sharing the mean of the ranks they span.
pub fn average_ranks(values: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut ranks = vec![0.0; values.len()];
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && values[order[end]] == values[order[start]] {
            end += 1;
        }
        // Ranks start+1 ..= end share their mean.
        let rank = (start + 1 + end) as f64 / 2.0;
        for &i in &order[start..end] {
            ranks[i] = rank;
        }
        start = end;
    }
    ranks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ties_share_their_average_rank() {
        assert_eq!(average_ranks(&[10.0, 20.0, 10.0, 30.0]), vec![1.5, 3.0, 1.5, 4.0]);
        assert_eq!(average_ranks(&[5.0, 5.0, 5.0]), vec![2.0, 2.0, 2.0]);
    }

    #[test]
    fn correlations_match_scipy() {
        // scipy.stats.pearsonr / spearmanr on these samples: 0.8315218406202998 / 0.8696565534786727
        let x = [1.0, 2.0, 3.0, 4.0, 5.0, 5.0];
        let y = [2.0, 1.0, 4.0, 3.0, 7.0, 5.0];
        assert!((pearson(&x, &y) - 0.8315218406202999).abs() < 1e-12, "{}", pearson(&x, &y));
        assert!((spearman(&x, &y) - 0.8696565534786727).abs() < 1e-12, "{}", spearman(&x, &y));
        assert!(pearson(&[1.0, 1.0], &[1.0, 2.0]).is_nan());
    }
}

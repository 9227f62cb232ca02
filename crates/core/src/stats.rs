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

/// The two-sided p-value of a correlation `r` between two samples of `n` values, under the null
/// hypothesis of no correlation: Student's t with `n − 2` degrees of freedom, `t² = (n − 2) r² /
/// (1 − r²)`. SciPy's `pearsonr` and `spearmanr` report this value (for `pearsonr` it is the same
/// number through the beta distribution); gensim's `evaluate_word_pairs` passes them on. NaN for a
/// NaN `r` or fewer than three values, where no test is possible.
pub fn correlation_p_value(r: f64, n: usize) -> f64 {
    if r.is_nan() || n < 3 {
        return f64::NAN;
    }
    let r = r.clamp(-1.0, 1.0);
    let freedom = (n - 2) as f64;
    // P(|T| ≥ |t|) = I_x(ν/2, 1/2) with x = ν / (ν + t²) = 1 − r².
    regularized_incomplete_beta(freedom / 2.0, 0.5, (1.0 - r * r).max(0.0))
}

/// The regularized incomplete beta function `I_x(a, b)` for `a, b > 0` and `0 ≤ x ≤ 1`, from its
/// continued fraction evaluated by Lentz's method, on the side of the mean where it converges fast.
pub fn regularized_incomplete_beta(a: f64, b: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    if x > (a + 1.0) / (a + b + 2.0) {
        return 1.0 - regularized_incomplete_beta(b, a, 1.0 - x);
    }
    let log_front = a * x.ln() + b * (-x).ln_1p() - ln_beta(a, b);
    log_front.exp() * beta_continued_fraction(a, b, x) / a
}

/// The continued fraction `1 / (1 + d₁ / (1 + d₂ / (1 + …)))` of the incomplete beta function,
/// with d₂ₘ₊₁ = −(a + m)(a + b + m) x / ((a + 2m)(a + 2m + 1)) and
/// d₂ₘ = m (b − m) x / ((a + 2m − 1)(a + 2m)).
fn beta_continued_fraction(a: f64, b: f64, x: f64) -> f64 {
    const TINY: f64 = 1e-300;
    let nonzero = |v: f64| if v.abs() < TINY { TINY } else { v };
    // Lentz: f = C·D products; start with the leading "1 +" term folded in.
    let mut c = 1.0;
    let mut d = 1.0 / nonzero(1.0 - (a + b) * x / (a + 1.0));
    let mut f = d;
    for m in 1..10_000 {
        let m = f64::from(m);
        let even = m * (b - m) * x / ((a + 2.0 * m - 1.0) * (a + 2.0 * m));
        let odd = -(a + m) * (a + b + m) * x / ((a + 2.0 * m) * (a + 2.0 * m + 1.0));
        for term in [even, odd] {
            d = 1.0 / nonzero(1.0 + term * d);
            c = nonzero(1.0 + term / c);
            f *= c * d;
        }
        if (c * d - 1.0).abs() < 1e-16 {
            break;
        }
    }
    f
}

/// ln B(a, b) = ln Γ(a) + ln Γ(b) − ln Γ(a + b).
fn ln_beta(a: f64, b: f64) -> f64 {
    ln_gamma(a) + ln_gamma(b) - ln_gamma(a + b)
}

/// ln Γ(x) for x > 0 by the Lanczos approximation (g = 7, nine coefficients; relative error near
/// 1e-15), with the reflection-free shift x → x + 1 below ½.
fn ln_gamma(x: f64) -> f64 {
    const G: f64 = 7.0;
    const COEFFICIENTS: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        // Γ(x) = Γ(x + 1) / x.
        return ln_gamma(x + 1.0) - x.ln();
    }
    let x = x - 1.0;
    let mut sum = COEFFICIENTS[0];
    for (i, &coefficient) in COEFFICIENTS.iter().enumerate().skip(1) {
        sum += coefficient / (x + i as f64);
    }
    let t = x + G + 0.5;
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + sum.ln()
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

    const PEARSON_P: f64 = 0.04018621825542532;
    const SPEARMAN_P: f64 = 0.02437689168569078;
    /// `2 * scipy.stats.t.sf(t, 351)` for r = 0.6 over 353 values.
    const LARGE_SAMPLE_P: f64 = 6.811627204078715e-36;

    #[test]
    fn p_values_match_scipy() {
        // scipy 1.17: pearsonr(x, y).pvalue and spearmanr(x, y).pvalue on the samples above.
        let x = [1.0, 2.0, 3.0, 4.0, 5.0, 5.0];
        let y = [2.0, 1.0, 4.0, 3.0, 7.0, 5.0];
        let close = |found: f64, expected: f64| (found - expected).abs() <= 1e-12 * expected.max(1e-300);
        let p = correlation_p_value(pearson(&x, &y), x.len());
        assert!(close(p, PEARSON_P), "{p}");
        let p = correlation_p_value(spearman(&x, &y), x.len());
        assert!(close(p, SPEARMAN_P), "{p}");
        // A strong correlation over many values: a tiny p-value, still to full relative precision.
        assert!(close(correlation_p_value(0.6, 353), LARGE_SAMPLE_P), "{}", correlation_p_value(0.6, 353));
        assert_eq!(correlation_p_value(1.0, 10), 0.0);
        assert_eq!(correlation_p_value(0.0, 10), 1.0);
        assert!(correlation_p_value(0.5, 2).is_nan() && correlation_p_value(f64::NAN, 10).is_nan());
    }

    #[test]
    fn incomplete_beta_is_symmetric_and_bounded() {
        for (a, b, x) in [(0.5, 0.5, 0.3), (3.0, 7.5, 0.2), (175.5, 0.5, 0.9), (2.0, 2.0, 0.5)] {
            let i = regularized_incomplete_beta(a, b, x);
            assert!((0.0..=1.0).contains(&i));
            assert!((i + regularized_incomplete_beta(b, a, 1.0 - x) - 1.0).abs() < 1e-13, "{a} {b} {x}");
        }
        // I_x(1, 1) = x and I_x(a, 1) = x^a.
        assert!((regularized_incomplete_beta(1.0, 1.0, 0.37) - 0.37).abs() < 1e-15);
        assert!((regularized_incomplete_beta(4.0, 1.0, 0.5) - 0.0625).abs() < 1e-15);
    }
}

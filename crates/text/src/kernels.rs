//! The encoder's arithmetic on rows of `f32`: matrix products through `gemm` (cache-blocked, FMA,
//! on every thread), layer normalisation, GELU with a rational `erf`, and the softmax. Each has a
//! plain version in the tests that it is checked against.

use rayon::prelude::*;

/// `out[r] = x[r] · weight` for `rows` rows of `inputs` values; `weight` is `inputs × outputs`,
/// row-major (the transpose of what checkpoints store, which `gemm` reads faster), and `out` holds
/// `rows × outputs`. The bias is left to the
/// pass that follows (see [`add_bias`], [`bias_gelu`], [`bias_residual_norm`]), so that the
/// output is read once more, not twice.
pub fn linear(x: &[f32], rows: usize, inputs: usize, weight: &[f32], outputs: usize, out: &mut [f32]) {
    assert_eq!(x.len(), rows * inputs);
    assert_eq!(weight.len(), outputs * inputs);
    assert_eq!(out.len(), rows * outputs);
    if rows == 0 {
        return;
    }
    let threads = rayon::current_num_threads();
    let parallelism = if threads > 1 { gemm::Parallelism::Rayon(threads) } else { gemm::Parallelism::None };
    // SAFETY: every pointer spans the matrix its strides describe, checked by the asserts above:
    // dst is rows × outputs (row stride `outputs`), lhs rows × inputs (row stride `inputs`), and
    // rhs inputs × outputs (row stride `outputs`).
    unsafe {
        gemm::gemm(
            rows,
            outputs,
            inputs,
            out.as_mut_ptr(),
            1,
            outputs as isize,
            false,
            x.as_ptr(),
            1,
            inputs as isize,
            weight.as_ptr(),
            1,
            outputs as isize,
            0.0,
            1.0,
            false,
            false,
            false,
            parallelism,
        );
    }
}

/// Adds `bias` to each row.
pub fn add_bias(rows: &mut [f32], bias: &[f32]) {
    rows.par_chunks_mut(bias.len()).for_each(|row| row.iter_mut().zip(bias).for_each(|(x, b)| *x += b));
}

/// `x ← GELU(x + bias)` for each row, GELU in its exact (erf) form `x · (1 + erf(x / √2)) / 2`.
pub fn bias_gelu(rows: &mut [f32], bias: &[f32]) {
    rows.par_chunks_mut(bias.len()).for_each(|row| {
        for (x, b) in row.iter_mut().zip(bias) {
            let y = *x + b;
            *x = 0.5 * y * (1.0 + erf(y * std::f32::consts::FRAC_1_SQRT_2));
        }
    });
}

/// `x ← LayerNorm(x + bias + residual)` for each row: the sum normalised to zero mean and unit
/// variance (`eps` added to the variance, the sums in `f64`), scaled by `weight`, shifted by
/// `shift`.
pub fn bias_residual_norm(rows: &mut [f32], bias: &[f32], residual: &[f32], weight: &[f32], shift: &[f32], eps: f64) {
    let width = bias.len();
    rows.par_chunks_mut(width).zip(residual.par_chunks(width)).for_each(|(row, residual)| {
        for ((x, b), r) in row.iter_mut().zip(bias).zip(residual) {
            *x = *x + b + r;
        }
        normalise(row, weight, shift, eps);
    });
}

/// A matrix inside a slice: element (r, c) at `r × row_stride + c × column_stride`.
#[derive(Debug, Clone, Copy)]
pub struct View {
    pub rows: usize,
    pub columns: usize,
    pub row_stride: usize,
    pub column_stride: usize,
}

impl View {
    /// Whether every element lies inside a slice of `len` values.
    fn fits(&self, len: usize) -> bool {
        self.rows == 0
            || self.columns == 0
            || (self.rows - 1) * self.row_stride + (self.columns - 1) * self.column_stride < len
    }
}

/// `dst = lhs · rhs` for matrices laid out in slices as their views say (one thread: the
/// callers run many of these side by side). Panics if a view does not fit its slice or the
/// shapes do not chain.
pub fn product(dst: &mut [f32], dst_view: View, lhs: &[f32], lhs_view: View, rhs: &[f32], rhs_view: View) {
    assert!(dst_view.fits(dst.len()) && lhs_view.fits(lhs.len()) && rhs_view.fits(rhs.len()));
    assert_eq!((dst_view.rows, dst_view.columns), (lhs_view.rows, rhs_view.columns));
    assert_eq!(lhs_view.columns, rhs_view.rows);
    if dst_view.rows == 0 || dst_view.columns == 0 {
        return;
    }
    // SAFETY: the asserts above keep every element each view addresses inside its slice.
    unsafe {
        gemm::gemm(
            dst_view.rows,
            dst_view.columns,
            lhs_view.columns,
            dst.as_mut_ptr(),
            dst_view.column_stride as isize,
            dst_view.row_stride as isize,
            false,
            lhs.as_ptr(),
            lhs_view.column_stride as isize,
            lhs_view.row_stride as isize,
            rhs.as_ptr(),
            rhs_view.column_stride as isize,
            rhs_view.row_stride as isize,
            0.0,
            1.0,
            false,
            false,
            false,
            gemm::Parallelism::None,
        );
    }
}

/// Normalises each row of `width` values to zero mean and unit variance (`eps` added to the
/// variance), then scales by `weight` and shifts by `bias`; the sums are taken in `f64`.
pub fn layer_norm(rows: &mut [f32], width: usize, weight: &[f32], bias: &[f32], eps: f64) {
    rows.par_chunks_mut(width).for_each(|row| normalise(row, weight, bias, eps));
}

fn normalise(row: &mut [f32], weight: &[f32], bias: &[f32], eps: f64) {
    let width = row.len() as f64;
    let mean = row.iter().map(|&x| f64::from(x)).sum::<f64>() / width;
    let variance = row.iter().map(|&x| (f64::from(x) - mean).powi(2)).sum::<f64>() / width;
    let scale = 1.0 / (variance + eps).sqrt();
    for ((x, w), b) in row.iter_mut().zip(weight).zip(bias) {
        *x = ((f64::from(*x) - mean) * scale) as f32 * w + b;
    }
}

/// The error function in single precision, as a ratio of odd and even polynomials on [−4, 4]
/// (beyond which it is ±1 in `f32`): within 5e-7 of the true value, and with no branch or
/// library call, so that the compiler vectorises the loop around it.
#[inline]
pub fn erf(x: f32) -> f32 {
    let x = x.clamp(-4.0, 4.0);
    let x2 = x * x;
    let mut p = -2.726_142_3e-10_f32;
    p = p * x2 + 2.770_681_4e-8;
    p = p * x2 - 2.101_024e-6;
    p = p * x2 - 5.692_506_4e-5;
    p = p * x2 - 7.349_906_3e-4;
    p = p * x2 - 2.954_6e-3;
    p = p * x2 - 1.609_603_3e-2;
    let mut q = -1.456_607_2e-5_f32;
    q = q * x2 - 2.133_740_6e-4;
    q = q * x2 - 1.682_827e-3;
    q = q * x2 - 7.373_329_2e-3;
    q = q * x2 - 1.426_473_9e-2;
    x * p / q
}

/// Softmax of `scores` in place, the maximum subtracted first.
pub fn softmax(scores: &mut [f32]) {
    let max = scores.iter().fold(f32::NEG_INFINITY, |m, &x| m.max(x));
    let mut sum = 0.0f32;
    for x in scores.iter_mut() {
        *x = (*x - max).exp();
        sum += *x;
    }
    let scale = 1.0 / sum;
    scores.iter_mut().for_each(|x| *x *= scale);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// erf in double precision: its Taylor series up to 3.5 (where the largest term is about
    /// 2·10⁵, so the sum keeps 1e-11), then 1 − erfc by erfc's asymptotic series (six terms, whose
    /// truncation is below 1e-10 there).
    fn erf_reference(x: f64) -> f64 {
        if x.abs() <= 3.5 {
            let (mut term, mut sum) = (x, x);
            for n in 1..200 {
                term *= -x * x / n as f64;
                sum += term / (2 * n + 1) as f64;
            }
            return sum * 2.0 / std::f64::consts::PI.sqrt();
        }
        let y = x.abs();
        let (mut term, mut series) = (1.0f64, 1.0f64);
        for n in 1..6 {
            term *= -((2 * n - 1) as f64) / (2.0 * y * y);
            series += term;
        }
        let erfc = (-y * y).exp() / (y * std::f64::consts::PI.sqrt()) * series;
        x.signum() * (1.0 - erfc)
    }

    #[test]
    fn erf_is_within_5e_7_everywhere() {
        let mut worst = 0.0f64;
        for i in -6000..=6000 {
            let x = i as f64 / 1000.0;
            worst = worst.max((f64::from(erf(x as f32)) - erf_reference(x)).abs());
        }
        assert!(worst < 5e-7, "largest error {worst:e}");
    }

    #[test]
    fn linear_equals_the_plain_product() {
        let (rows, inputs, outputs) = (37, 19, 23);
        let x: Vec<f32> = (0..rows * inputs).map(|i| ((i * 7919) % 101) as f32 / 50.0 - 1.0).collect();
        let w: Vec<f32> = (0..outputs * inputs).map(|i| ((i * 104_729) % 97) as f32 / 48.0 - 1.0).collect();
        let b: Vec<f32> = (0..outputs).map(|i| i as f32 * 0.1).collect();
        let mut out = vec![0.0; rows * outputs];
        let transposed: Vec<f32> = (0..inputs * outputs).map(|at| w[(at % outputs) * inputs + at / outputs]).collect();
        linear(&x, rows, inputs, &transposed, outputs, &mut out);
        add_bias(&mut out, &b);
        for r in 0..rows {
            for o in 0..outputs {
                let plain: f64 =
                    (0..inputs).map(|i| f64::from(x[r * inputs + i]) * f64::from(w[o * inputs + i])).sum::<f64>()
                        + f64::from(b[o]);
                assert!((f64::from(out[r * outputs + o]) - plain).abs() < 1e-4, "({r}, {o})");
            }
        }
    }

    #[test]
    fn strided_products_equal_the_plain_product() {
        // lhs: rows of a wider matrix (every other column); rhs: a transposed view.
        let (m, k, n) = (5, 3, 4);
        let lhs: Vec<f32> = (0..m * 2 * k).map(|i| i as f32 * 0.5 - 3.0).collect();
        let rhs: Vec<f32> = (0..n * k).map(|i| (i % 5) as f32 - 2.0).collect();
        let mut dst = vec![0.0f32; m * n];
        let lhs_view = View { rows: m, columns: k, row_stride: 2 * k, column_stride: 2 };
        let rhs_view = View { rows: k, columns: n, row_stride: 1, column_stride: k };
        product(
            &mut dst,
            View { rows: m, columns: n, row_stride: n, column_stride: 1 },
            &lhs,
            lhs_view,
            &rhs,
            rhs_view,
        );
        for r in 0..m {
            for c in 0..n {
                let plain: f32 = (0..k).map(|i| lhs[r * 2 * k + i * 2] * rhs[c * k + i]).sum();
                assert!((dst[r * n + c] - plain).abs() < 1e-5);
            }
        }
    }

    #[test]
    fn fused_passes_equal_their_steps() {
        let rows: Vec<f32> = (0..12).map(|i| i as f32 * 0.7 - 4.0).collect();
        let bias = [0.5f32, -1.0, 0.25];
        let mut fused = rows.clone();
        bias_gelu(&mut fused, &bias);
        for (i, (&x, &y)) in rows.iter().zip(&fused).enumerate() {
            let z = f64::from(x + bias[i % 3]);
            let exact = 0.5 * z * (1.0 + erf_reference(z / std::f64::consts::SQRT_2));
            assert!((f64::from(y) - exact).abs() < 1e-6, "{z}: {y} vs {exact}");
        }
        let residual: Vec<f32> = (0..12).map(|i| (i % 5) as f32).collect();
        let (weight, shift) = ([1.0f32, 2.0, 0.5], [0.0f32, 0.1, -0.1]);
        let mut fused = rows.clone();
        bias_residual_norm(&mut fused, &bias, &residual, &weight, &shift, 1e-12);
        let mut steps: Vec<f32> =
            rows.iter().zip(&residual).enumerate().map(|(i, (x, r))| x + bias[i % 3] + r).collect();
        layer_norm(&mut steps, 3, &weight, &shift, 1e-12);
        assert_eq!(fused, steps);
    }

    #[test]
    fn layer_norm_and_softmax_match_their_definitions() {
        let mut row = vec![1.0f32, 2.0, 4.0, 9.0];
        layer_norm(&mut row, 4, &[1.0, 2.0, 1.0, 1.0], &[0.0, 0.0, 0.5, 0.0], 0.0);
        let (mean, sd) = (4.0f64, ((9.0f64 + 4.0 + 0.0 + 25.0) / 4.0).sqrt());
        let expected = [(1.0 - mean) / sd, 2.0 * (2.0 - mean) / sd, (4.0 - mean) / sd + 0.5, (9.0 - mean) / sd];
        for (got, want) in row.iter().zip(expected) {
            assert!((f64::from(*got) - want).abs() < 1e-6);
        }
        let mut scores = vec![1.0f32, 2.0, 3.0];
        softmax(&mut scores);
        let total: f64 = [1.0f64, 2.0, 3.0].iter().map(|x| x.exp()).sum();
        for (got, x) in scores.iter().zip([1.0f64, 2.0, 3.0]) {
            assert!((f64::from(*got) - x.exp() / total).abs() < 1e-7);
        }
    }
}

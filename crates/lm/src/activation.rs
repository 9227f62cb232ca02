//! The gated MLP's activation over a whole row, `act(gate) · up`: SiLU (llama, Qwen) or GELU's
//! tanh form (Gemma). Both are written `x / (1 + e^(−z))` — for GELU
//! `0.5·x·(1 + tanh(u)) = x / (1 + e^(−2u))` — so one exponential serves both. A scalar reference
//! with libm's `expf`, and an AVX2 kernel with a polynomial exponential (Cephes' `expf`, a couple of
//! ulps) chosen at run time and tested against it: libm's `tanhf` one value at a time was a tenth
//! of Gemma's prompt time.

use crate::quant::Kernel;

/// The gate's activation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activation {
    Silu,
    /// GELU, tanh approximation.
    GeluTanh,
}

const SQRT_2_OVER_PI: f32 = 0.797_884_6;
const GELU_CUBIC: f32 = 0.044_715;

impl Activation {
    /// `z` of `x / (1 + e^(−z))`.
    fn exponent(self, x: f32) -> f32 {
        match self {
            Activation::Silu => x,
            Activation::GeluTanh => 2.0 * SQRT_2_OVER_PI * (x + GELU_CUBIC * x * x * x),
        }
    }
}

/// `act(gate[i]) · up[i]` for every `i`.
pub fn gated(activation: Activation, gate: &[f32], up: &[f32], kernel: Kernel) -> Vec<f32> {
    assert_eq!(gate.len(), up.len(), "a gate value per up value");
    let mut out = vec![0.0; gate.len()];
    #[cfg(target_arch = "x86_64")]
    if kernel.is_avx2() {
        // SAFETY: the x86 kernels are only chosen when the CPU reports AVX2, FMA and F16C.
        unsafe { avx2::gated(activation, gate, up, &mut out) };
        return out;
    }
    let _ = kernel;
    gated_scalar(activation, gate, up, &mut out);
    out
}

fn gated_scalar(activation: Activation, gate: &[f32], up: &[f32], out: &mut [f32]) {
    for ((o, &g), &u) in out.iter_mut().zip(gate).zip(up) {
        *o = g / (1.0 + (-activation.exponent(g)).exp()) * u;
    }
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use std::arch::x86_64::*;

    use super::{Activation, GELU_CUBIC, SQRT_2_OVER_PI};

    /// `e^x` in eight lanes, Cephes' `expf`: `x = n·ln 2 + r` with |r| ≤ ln 2 / 2, a degree-5
    /// polynomial for `e^r`, and `2^n` written into the exponent. Inputs are clamped to where
    /// `2^n` stays a normal float (the results there only ever meet `1 + e^x`).
    #[target_feature(enable = "avx2,fma")]
    fn exp(x: __m256) -> __m256 {
        let x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-87.3)), _mm256_set1_ps(88.3));
        let n = _mm256_round_ps::<{ _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC }>(_mm256_mul_ps(
            x,
            _mm256_set1_ps(std::f32::consts::LOG2_E),
        ));
        // ln 2 in two parts, so that n · ln 2 is subtracted without rounding away r.
        let r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693_359_4), x);
        let r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.121_944_4e-4), r);
        let mut p = _mm256_set1_ps(1.987_569_1e-4);
        for c in [1.398_199_9e-3, 8.333_452e-3, 4.166_579_6e-2, 0.166_666_65, 0.5] {
            p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(c));
        }
        let e_r = _mm256_add_ps(_mm256_fmadd_ps(p, _mm256_mul_ps(r, r), r), _mm256_set1_ps(1.0));
        let two_n = _mm256_castsi256_ps(_mm256_slli_epi32::<23>(_mm256_add_epi32(
            _mm256_cvtps_epi32(n),
            _mm256_set1_epi32(127),
        )));
        _mm256_mul_ps(e_r, two_n)
    }

    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn gated(activation: Activation, gate: &[f32], up: &[f32], out: &mut [f32]) {
        let n = gate.len().min(up.len()).min(out.len());
        let one = _mm256_set1_ps(1.0);
        let mut i = 0;
        // SAFETY: every load and store covers 8 values ending at or before n.
        unsafe {
            while i + 8 <= n {
                let g = _mm256_loadu_ps(gate.as_ptr().add(i));
                let z = match activation {
                    Activation::Silu => g,
                    Activation::GeluTanh => {
                        // In the scalar reference's order: ((c · x) · x) · x.
                        let cubic = _mm256_mul_ps(_mm256_mul_ps(_mm256_mul_ps(_mm256_set1_ps(GELU_CUBIC), g), g), g);
                        _mm256_mul_ps(_mm256_set1_ps(2.0 * SQRT_2_OVER_PI), _mm256_add_ps(g, cubic))
                    }
                };
                let e = exp(_mm256_sub_ps(_mm256_setzero_ps(), z));
                let activated = _mm256_div_ps(g, _mm256_add_ps(one, e));
                _mm256_storeu_ps(
                    out.as_mut_ptr().add(i),
                    _mm256_mul_ps(activated, _mm256_loadu_ps(up.as_ptr().add(i))),
                );
                i += 8;
            }
        }
        super::gated_scalar(activation, &gate[i..n], &up[i..n], &mut out[i..n]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_simd_activations_equal_the_reference() {
        // Gates from −30 to 30 (far tails included), and a tail shorter than a vector.
        let gate: Vec<f32> = (0..2003).map(|i| (i as f32 - 1001.0) * 0.03).collect();
        let up: Vec<f32> = (0..2003).map(|i| 1.0 + (i % 7) as f32 * 0.25).collect();
        for activation in [Activation::Silu, Activation::GeluTanh] {
            let plain = gated(activation, &gate, &up, Kernel::Scalar);
            let fast = gated(activation, &gate, &up, Kernel::best());
            for (i, (a, b)) in fast.iter().zip(&plain).enumerate() {
                assert!((a - b).abs() <= 1e-6 * b.abs() + 1e-30, "{activation:?} at gate {}: {a} vs {b}", gate[i]);
            }
        }
    }

    #[test]
    fn the_forms_are_silu_and_gelu() {
        let x = [-3.0f32, -0.5, 0.0, 0.7, 2.5];
        let silu = gated(Activation::Silu, &x, &[1.0; 5], Kernel::Scalar);
        let gelu = gated(Activation::GeluTanh, &x, &[2.0; 5], Kernel::Scalar);
        for (i, &v) in x.iter().enumerate() {
            assert!((silu[i] - v / (1.0 + (-v).exp())).abs() < 1e-6);
            let tanh_form = 0.5 * v * (1.0 + (SQRT_2_OVER_PI * (v + GELU_CUBIC * v * v * v)).tanh());
            assert!((gelu[i] - 2.0 * tanh_form).abs() < 1e-6, "{v}: {} vs {}", gelu[i], 2.0 * tanh_form);
        }
    }
}

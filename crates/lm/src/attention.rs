//! The vector work of attention over the key–value cache: a query's dot product with each cached
//! key. A plain scalar reference and an AVX2 + FMA kernel chosen at run time ([`Kernel::best`]),
//! tested against each other; summing in eight lanes instead of one at a time is what keeps
//! attention from dominating decoding once the cache holds a few hundred positions.

use crate::quant::Kernel;

/// `a · b`.
pub fn dot(a: &[f32], b: &[f32], kernel: Kernel) -> f32 {
    debug_assert_eq!(a.len(), b.len());
    #[cfg(target_arch = "x86_64")]
    if kernel.is_avx2() {
        // SAFETY: the x86 kernels are only chosen when the CPU reports AVX2, FMA and F16C.
        return unsafe { avx2::dot(a, b) };
    }
    let _ = kernel;
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use std::arch::x86_64::*;

    use crate::quant::avx2::horizontal_sum;

    #[target_feature(enable = "avx2,fma,f16c")]
    pub unsafe fn dot(a: &[f32], b: &[f32]) -> f32 {
        let n = a.len().min(b.len());
        let mut sums = [_mm256_setzero_ps(); 4];
        let mut i = 0;
        // SAFETY: every load reads 8 values that end at or before n.
        unsafe {
            while i + 32 <= n {
                for (j, sum) in sums.iter_mut().enumerate() {
                    let x = _mm256_loadu_ps(a.as_ptr().add(i + 8 * j));
                    let y = _mm256_loadu_ps(b.as_ptr().add(i + 8 * j));
                    *sum = _mm256_fmadd_ps(x, y, *sum);
                }
                i += 32;
            }
            while i + 8 <= n {
                let (x, y) = (_mm256_loadu_ps(a.as_ptr().add(i)), _mm256_loadu_ps(b.as_ptr().add(i)));
                sums[0] = _mm256_fmadd_ps(x, y, sums[0]);
                i += 8;
            }
        }
        let total = _mm256_add_ps(_mm256_add_ps(sums[0], sums[1]), _mm256_add_ps(sums[2], sums[3]));
        horizontal_sum(total) + a[i..n].iter().zip(&b[i..n]).map(|(x, y)| x * y).sum::<f32>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(n: usize, seed: u32) -> Vec<f32> {
        let mut state = seed;
        (0..n)
            .map(|_| {
                state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                (state >> 8) as f32 / (1 << 24) as f32 * 8.0 - 4.0
            })
            .collect()
    }

    #[test]
    fn the_simd_dot_product_equals_the_reference() {
        for n in [0, 1, 7, 8, 31, 32, 33, 64, 100, 256] {
            let (a, b) = (values(n, 1), values(n, 2));
            let (fast, plain) = (dot(&a, &b, Kernel::best()), dot(&a, &b, Kernel::Scalar));
            let magnitude: f32 = a.iter().zip(&b).map(|(x, y)| (x * y).abs()).sum();
            assert!((fast - plain).abs() <= 1e-6 * magnitude, "{n} values: {fast} vs {plain}");
        }
    }
}

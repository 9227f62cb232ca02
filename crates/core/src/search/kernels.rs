//! Dot products of one query against many rows: the inner loop of every scan.
//!
//! [`dots_portable`] is the plain reference; [`dots`] picks the fastest kernel this CPU runs
//! (AVX2 + FMA on x86-64, checked at run time) and falls back to the reference elsewhere.
//! [`dot_padded_portable`] and [`dot_padded_kernel`] are the same pair for one dot product of
//! vectors padded to a multiple of 8, the graph build's inner loop; [`dot_half_padded_portable`]
//! and [`dot_half_padded_kernel`] for the build over half-precision rows.

/// `out[i] = rows[i*dims .. (i+1)*dims] · query`, written plainly: the reference.
pub fn dots_portable(rows: &[f32], dims: usize, query: &[f32], out: &mut [f32]) {
    debug_assert_eq!(query.len(), dims);
    for (row, slot) in rows.chunks_exact(dims).zip(out.iter_mut()) {
        // Eight independent sums let the compiler vectorise and hide add latency.
        let mut sums = [0.0f32; 8];
        let mut row_chunks = row.chunks_exact(8);
        let mut query_chunks = query.chunks_exact(8);
        for (r, q) in (&mut row_chunks).zip(&mut query_chunks) {
            for lane in 0..8 {
                sums[lane] += r[lane] * q[lane];
            }
        }
        let mut total: f32 = sums.iter().sum();
        for (r, q) in row_chunks.remainder().iter().zip(query_chunks.remainder()) {
            total += r * q;
        }
        *slot = total;
    }
}

/// The dot product of `a` and `b`, equally long and a multiple of 8 values (rows padded with
/// zeros), written plainly: the reference.
pub fn dot_padded_portable(a: &[f32], b: &[f32]) -> f32 {
    debug_assert!(a.len() == b.len() && a.len().is_multiple_of(8));
    let mut sums = [0.0f32; 8];
    for (x, y) in a.chunks_exact(8).zip(b.chunks_exact(8)) {
        for lane in 0..8 {
            sums[lane] += x[lane] * y[lane];
        }
    }
    sums.iter().sum()
}

/// A kernel with [`dot_padded_portable`]'s contract.
pub type DotFn = fn(&[f32], &[f32]) -> f32;

/// The fastest kernel for [`dot_padded_portable`]'s contract on this CPU, chosen once, so that a
/// loop of millions of short dot products pays no feature test per call.
pub fn dot_padded_kernel() -> DotFn {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
        return x86::dot_padded;
    }
    dot_padded_portable
}

/// The dot product of half-precision `a` and single-precision `b`, equally long and a multiple
/// of 8 values, written plainly: the reference.
pub fn dot_half_padded_portable(a: &[half::f16], b: &[f32]) -> f32 {
    debug_assert!(a.len() == b.len() && a.len().is_multiple_of(8));
    let mut sums = [0.0f32; 8];
    for (x, y) in a.chunks_exact(8).zip(b.chunks_exact(8)) {
        for lane in 0..8 {
            sums[lane] += x[lane].to_f32() * y[lane];
        }
    }
    sums.iter().sum()
}

/// A kernel with [`dot_half_padded_portable`]'s contract.
pub type HalfDotFn = fn(&[half::f16], &[f32]) -> f32;

/// The fastest kernel for [`dot_half_padded_portable`]'s contract on this CPU, chosen once.
pub fn dot_half_padded_kernel() -> HalfDotFn {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2")
        && std::arch::is_x86_feature_detected!("fma")
        && std::arch::is_x86_feature_detected!("f16c")
    {
        return x86::dot_half_padded;
    }
    dot_half_padded_portable
}

/// Same contract as [`dots_portable`], on the fastest kernel available.
pub fn dots(rows: &[f32], dims: usize, query: &[f32], out: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    if dims >= 8 && std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
        // SAFETY: the CPU supports AVX2 and FMA (checked just above).
        unsafe { x86::dots_avx2_fma(rows, dims, query, out) };
        return;
    }
    dots_portable(rows, dims, query, out)
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::*;

    /// AVX2/FMA kernel: two rows at a time share each query load; 8 lanes per step, a masked-off
    /// scalar tail for dimensions that are not a multiple of 8.
    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn dots_avx2_fma(rows: &[f32], dims: usize, query: &[f32], out: &mut [f32]) {
        let n = out.len().min(rows.len() / dims);
        let full = dims / 8 * 8;
        let q = query.as_ptr();
        let mut i = 0;
        // SAFETY (whole body): every pointer offset stays below `n * dims` in `rows` and below
        // `dims` in `query`, both checked by the slice lengths above.
        unsafe {
            while i + 2 <= n {
                let r0 = rows.as_ptr().add(i * dims);
                let r1 = r0.add(dims);
                let (mut a0, mut a1) = (_mm256_setzero_ps(), _mm256_setzero_ps());
                let mut k = 0;
                while k < full {
                    let qv = _mm256_loadu_ps(q.add(k));
                    a0 = _mm256_fmadd_ps(_mm256_loadu_ps(r0.add(k)), qv, a0);
                    a1 = _mm256_fmadd_ps(_mm256_loadu_ps(r1.add(k)), qv, a1);
                    k += 8;
                }
                let (mut t0, mut t1) = (horizontal_sum(a0), horizontal_sum(a1));
                while k < dims {
                    t0 += *r0.add(k) * *q.add(k);
                    t1 += *r1.add(k) * *q.add(k);
                    k += 1;
                }
                out[i] = t0;
                out[i + 1] = t1;
                i += 2;
            }
            if i < n {
                let r0 = rows.as_ptr().add(i * dims);
                let mut a0 = _mm256_setzero_ps();
                let mut k = 0;
                while k < full {
                    a0 = _mm256_fmadd_ps(_mm256_loadu_ps(r0.add(k)), _mm256_loadu_ps(q.add(k)), a0);
                    k += 8;
                }
                let mut t0 = horizontal_sum(a0);
                while k < dims {
                    t0 += *r0.add(k) * *q.add(k);
                    k += 1;
                }
                out[i] = t0;
            }
        }
    }

    /// [`super::dot_padded_portable`] on AVX2/FMA; only handed out by
    /// [`super::dot_padded_kernel`] after it has checked that the CPU runs them.
    pub fn dot_padded(a: &[f32], b: &[f32]) -> f32 {
        // SAFETY: reached only through `dot_padded_kernel`, which checked AVX2 and FMA.
        unsafe { dot_padded_avx2_fma(a, b) }
    }

    #[target_feature(enable = "avx2,fma")]
    unsafe fn dot_padded_avx2_fma(a: &[f32], b: &[f32]) -> f32 {
        let n = a.len().min(b.len()) / 8 * 8;
        let (pa, pb) = (a.as_ptr(), b.as_ptr());
        // Two sums, so that consecutive FMAs do not wait on each other.
        let (mut s0, mut s1) = (_mm256_setzero_ps(), _mm256_setzero_ps());
        let mut k = 0;
        // SAFETY (whole body): every load reads 8 values below `n`, within both slices.
        unsafe {
            while k + 16 <= n {
                s0 = _mm256_fmadd_ps(_mm256_loadu_ps(pa.add(k)), _mm256_loadu_ps(pb.add(k)), s0);
                s1 = _mm256_fmadd_ps(_mm256_loadu_ps(pa.add(k + 8)), _mm256_loadu_ps(pb.add(k + 8)), s1);
                k += 16;
            }
            if k < n {
                s0 = _mm256_fmadd_ps(_mm256_loadu_ps(pa.add(k)), _mm256_loadu_ps(pb.add(k)), s0);
            }
        }
        horizontal_sum(_mm256_add_ps(s0, s1))
    }

    /// [`super::dot_half_padded_portable`] on AVX2/FMA/F16C; only handed out by
    /// [`super::dot_half_padded_kernel`] after it has checked that the CPU runs them.
    pub fn dot_half_padded(a: &[half::f16], b: &[f32]) -> f32 {
        // SAFETY: reached only through `dot_half_padded_kernel`, which checked AVX2, FMA and F16C.
        unsafe { dot_half_padded_avx2_fma(a, b) }
    }

    #[target_feature(enable = "avx2,fma,f16c")]
    unsafe fn dot_half_padded_avx2_fma(a: &[half::f16], b: &[f32]) -> f32 {
        let n = a.len().min(b.len()) / 8 * 8;
        let (pa, pb) = (a.as_ptr(), b.as_ptr());
        let (mut s0, mut s1) = (_mm256_setzero_ps(), _mm256_setzero_ps());
        let mut k = 0;
        // SAFETY (whole body): every load reads 8 halves or 8 floats below `n`, within both slices.
        unsafe {
            while k + 16 <= n {
                let x0 = _mm256_cvtph_ps(_mm_loadu_si128(pa.add(k).cast()));
                let x1 = _mm256_cvtph_ps(_mm_loadu_si128(pa.add(k + 8).cast()));
                s0 = _mm256_fmadd_ps(x0, _mm256_loadu_ps(pb.add(k)), s0);
                s1 = _mm256_fmadd_ps(x1, _mm256_loadu_ps(pb.add(k + 8)), s1);
                k += 16;
            }
            if k < n {
                let x0 = _mm256_cvtph_ps(_mm_loadu_si128(pa.add(k).cast()));
                s0 = _mm256_fmadd_ps(x0, _mm256_loadu_ps(pb.add(k)), s0);
            }
        }
        horizontal_sum(_mm256_add_ps(s0, s1))
    }

    #[target_feature(enable = "avx2,fma")]
    fn horizontal_sum(v: __m256) -> f32 {
        let halves = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
        let pairs = _mm_add_ps(halves, _mm_movehl_ps(halves, halves));
        let single = _mm_add_ss(pairs, _mm_shuffle_ps(pairs, pairs, 1));
        _mm_cvtss_f32(single)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padded_dot_kernel_matches_the_reference() {
        let mut seed = 11u64;
        let mut next = move || {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((seed >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
        };
        let fast = dot_padded_kernel();
        for len in [0, 8, 16, 24, 56, 304] {
            let (a, b): (Vec<f32>, Vec<f32>) = (0..len).map(|_| (next(), next())).unzip();
            let (f, p) = (fast(&a, &b), dot_padded_portable(&a, &b));
            assert!((f - p).abs() <= 1e-5 * (1.0 + p.abs()), "{len}: {f} vs {p}");
        }
    }

    #[test]
    fn half_padded_dot_kernel_matches_the_reference() {
        let mut seed = 13u64;
        let mut next = move || {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((seed >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
        };
        let fast = dot_half_padded_kernel();
        for len in [0, 8, 16, 24, 56, 304] {
            let (a, b): (Vec<half::f16>, Vec<f32>) = (0..len).map(|_| (half::f16::from_f32(next()), next())).unzip();
            let (f, p) = (fast(&a, &b), dot_half_padded_portable(&a, &b));
            assert!((f - p).abs() <= 1e-5 * (1.0 + p.abs()), "{len}: {f} vs {p}");
            // The reference is the plain sum of the halves' exact values times the floats.
            let wide: f64 = a.iter().zip(&b).map(|(x, y)| f64::from(x.to_f32()) * f64::from(*y)).sum();
            assert!((f64::from(p) - wide).abs() <= 1e-5 * (1.0 + wide.abs()), "{len}: {p} vs {wide}");
        }
    }

    #[test]
    fn fast_kernel_matches_the_reference_for_every_shape() {
        let mut seed = 7u64;
        let mut next = move || {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((seed >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
        };
        for dims in [1, 3, 7, 8, 9, 16, 50, 100, 300] {
            for n in [0, 1, 2, 3, 17] {
                let rows: Vec<f32> = (0..n * dims).map(|_| next()).collect();
                let query: Vec<f32> = (0..dims).map(|_| next()).collect();
                let (mut fast, mut plain) = (vec![0.0; n], vec![0.0; n]);
                dots(&rows, dims, &query, &mut fast);
                dots_portable(&rows, dims, &query, &mut plain);
                for (f, p) in fast.iter().zip(&plain) {
                    assert!((f - p).abs() <= 1e-5 * (1.0 + p.abs()), "dims {dims}: {f} vs {p}");
                }
            }
        }
    }
}

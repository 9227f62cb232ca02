//! Compact copies of the unit rows, searched directly and re-ranked exactly: one engine,
//! [`Compact`], over the row encodings [`ByteRows`] ([`Int8`]) and [`HalfRows`] ([`F16`]).
//!
//! A copy is scanned for the `rerank × k` rows with the best approximate cosine, whose exact
//! scores are then computed on the f32 rows with the exact scan's kernel, and the best `k` kept.
//! Scorings other than cosine on unit rows are answered by the exact scan. Each encoding's dot
//! product has a fast kernel and a plain scalar reference beside it, and a test comparing them.

use std::fmt;

use rayon::prelude::*;

use crate::Result;

use super::engine::{SearchEngine, candidates, needs_exact_scan, rerank};
use super::{Neighbor, Rows, Scoring, nearest, sorted};

/// How a compact copy stores the unit rows, and the approximate dot product of a query with one.
pub trait RowCode: Send + Sync {
    /// The engine's name: `int8`, `f16`.
    const NAME: &'static str;

    /// A query made ready for [`RowCode::dot`], once per search.
    type Query: Sync;

    /// Encodes the unit-length rows of `rows`.
    fn encode(rows: Rows<'_>) -> Self;

    fn dims(&self) -> usize;

    /// How many rows are encoded.
    fn rows(&self) -> usize;

    /// Bytes the encoded rows take.
    fn bytes(&self) -> usize;

    /// Converts `query` for [`RowCode::dot`], choosing the fastest kernel the CPU runs.
    fn prepare(&self, query: &[f32]) -> Self::Query;

    /// Row `row`'s approximate dot product with the query, up to a positive factor per query:
    /// only the order of rows counts.
    fn dot(&self, row: usize, query: &Self::Query) -> f32;
}

/// A compact copy of the unit rows in the encoding `C`, scanned for candidates that are then
/// scored exactly (see the [module](self) documentation).
#[derive(Clone)]
pub struct Compact<C> {
    code: C,
    /// Candidates re-ranked per wanted neighbour.
    pub rerank: usize,
}

/// Unit rows as scaled bytes: a quarter of the f32 matrix ([`ByteRows`]).
pub type Int8 = Compact<ByteRows>;

/// Unit rows in half precision: half the f32 matrix ([`HalfRows`]).
pub type F16 = Compact<HalfRows>;

impl<C: RowCode> Compact<C> {
    /// Encodes the unit-length rows of `rows`.
    pub fn build(rows: Rows<'_>) -> Compact<C> {
        Compact { code: C::encode(rows), rerank: 10 }
    }
}

impl<C: RowCode> fmt::Debug for Compact<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Compact")
            .field("code", &C::NAME)
            .field("dims", &self.code.dims())
            .field("rows", &self.code.rows())
            .finish()
    }
}

impl<C: RowCode> SearchEngine for Compact<C> {
    fn name(&self) -> &'static str {
        C::NAME
    }

    fn is_exact(&self) -> bool {
        false
    }

    fn extra_bytes(&self) -> usize {
        self.code.bytes()
    }

    fn nearest(
        &self,
        rows: Rows<'_>,
        query: &[f32],
        k: usize,
        scoring: Scoring,
        exclude: &[usize],
    ) -> Result<Vec<Neighbor>> {
        assert_eq!(query.len(), self.code.dims(), "query and rows differ in dimensions");
        // The rows may be a prefix of those encoded (benchmarks restrict the vocabulary).
        assert!(rows.len() <= self.code.rows(), "the copy was built for other rows");
        if needs_exact_scan(scoring, query) {
            return Ok(nearest(rows, query, k, scoring, exclude));
        }
        let exclude = sorted(exclude);
        let prepared = self.code.prepare(query);
        let key = |row: usize| self.code.dot(row, &prepared);
        let candidates = candidates(rows.len(), k.saturating_mul(self.rerank).max(k), &exclude, key);
        Ok(rerank(rows, query, k, candidates))
    }
}

/// A scalar-quantised copy of the unit rows: one signed byte per value with a scale per
/// dimension (`q = round(u / s_d)`, `s_d = max |u_d| / 127`), rows padded to whole 32-byte blocks.
/// A query is scaled by the same `s_d` and rounded to bytes too, so each row's approximate cosine
/// is one integer dot product (AVX2 `maddubs`/`madd` where the CPU has it, a scalar loop
/// otherwise — the same integers).
#[derive(Clone)]
pub struct ByteRows {
    dims: usize,
    /// `dims` rounded up to a multiple of 32.
    padded: usize,
    scales: Vec<f32>,
    codes: Vec<i8>,
}

/// A query scaled and rounded to bytes (padded), with the kernel to use.
#[derive(Debug, Clone)]
pub struct ByteQuery {
    codes: Vec<i8>,
    kernel: ByteKernel,
}

impl RowCode for ByteRows {
    const NAME: &'static str = "int8";
    type Query = ByteQuery;

    fn encode(rows: Rows<'_>) -> ByteRows {
        let dims = rows.dims;
        let padded = dims.div_ceil(32) * 32;
        let inverse = |r: usize| if rows.norms[r] > 0.0 { 1.0 / rows.norms[r] } else { 0.0 };
        let mut scales = vec![0.0f32; dims];
        for r in 0..rows.len() {
            let inv = inverse(r);
            for (s, &v) in scales.iter_mut().zip(rows.row(r)) {
                let u = (v * inv).abs();
                if u.is_finite() && u > *s {
                    *s = u;
                }
            }
        }
        scales.iter_mut().for_each(|s| *s = if *s > 0.0 { *s / 127.0 } else { 1.0 });
        let codes: Vec<i8> = (0..rows.len())
            .into_par_iter()
            .flat_map_iter(|r| {
                let inv = inverse(r);
                let row = rows.row(r);
                let scales = &scales;
                (0..padded).map(move |d| {
                    if d >= dims {
                        return 0;
                    }
                    let q = (row[d] * inv / scales[d]).round();
                    if q.is_finite() { q.clamp(-127.0, 127.0) as i8 } else { 0 }
                })
            })
            .collect();
        ByteRows { dims, padded, scales, codes }
    }

    fn dims(&self) -> usize {
        self.dims
    }

    fn rows(&self) -> usize {
        self.codes.len() / self.padded.max(1)
    }

    fn bytes(&self) -> usize {
        self.codes.len() + 4 * self.scales.len()
    }

    /// The query scaled by the per-dimension scales and rounded to bytes (padded).
    fn prepare(&self, query: &[f32]) -> ByteQuery {
        let scaled: Vec<f32> = query.iter().zip(&self.scales).map(|(q, s)| q * s).collect();
        let max = scaled.iter().fold(0.0f32, |m, v| m.max(v.abs()));
        let inverse = if max > 0.0 { 127.0 / max } else { 0.0 };
        let mut codes: Vec<i8> = scaled.iter().map(|v| (v * inverse).round().clamp(-127.0, 127.0) as i8).collect();
        codes.resize(self.padded, 0);
        ByteQuery { codes, kernel: ByteKernel::best() }
    }

    fn dot(&self, row: usize, query: &ByteQuery) -> f32 {
        let codes = &self.codes[row * self.padded..(row + 1) * self.padded];
        byte_dot(codes, &query.codes, query.kernel) as f32
    }
}

/// Which byte dot product to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ByteKernel {
    Scalar,
    Avx2,
}

impl ByteKernel {
    pub fn best() -> ByteKernel {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            return ByteKernel::Avx2;
        }
        ByteKernel::Scalar
    }
}

/// `Σ a_i·b_i` over equal-length byte vectors whose length is a multiple of 32, values in
/// [−127, 127].
pub fn byte_dot(a: &[i8], b: &[i8], kernel: ByteKernel) -> i32 {
    debug_assert!(a.len() == b.len() && a.len().is_multiple_of(32));
    #[cfg(target_arch = "x86_64")]
    if kernel == ByteKernel::Avx2 {
        // SAFETY: ByteKernel::Avx2 is only chosen when the CPU reports AVX2.
        return unsafe { byte_dot_avx2(a, b) };
    }
    let _ = kernel;
    a.iter().zip(b).map(|(&x, &y)| i32::from(x) * i32::from(y)).sum()
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn byte_dot_avx2(a: &[i8], b: &[i8]) -> i32 {
    use std::arch::x86_64::*;
    let mut acc = _mm256_setzero_si256();
    let ones = _mm256_set1_epi16(1);
    for (x, y) in a.chunks_exact(32).zip(b.chunks_exact(32)) {
        // SAFETY: unaligned loads of exactly the 32 bytes of each chunk.
        let (x, y) = unsafe { (_mm256_loadu_si256(x.as_ptr().cast()), _mm256_loadu_si256(y.as_ptr().cast())) };
        // maddubs multiplies unsigned by signed bytes: move x's sign onto y. |x|·|y|·2 ≤ 32 258
        // fits the i16 pair sums.
        let pairs = _mm256_maddubs_epi16(_mm256_sign_epi8(x, x), _mm256_sign_epi8(y, x));
        acc = _mm256_add_epi32(acc, _mm256_madd_epi16(pairs, ones));
    }
    let half = _mm_add_epi32(_mm256_castsi256_si128(acc), _mm256_extracti128_si256(acc, 1));
    let quad = _mm_add_epi32(half, _mm_shuffle_epi32(half, 0b01_00_11_10));
    _mm_cvtsi128_si32(_mm_add_epi32(quad, _mm_shuffle_epi32(quad, 0b10_11_00_01)))
}

/// A half-precision copy of the unit rows (IEEE binary16). The dot product with the f32 query
/// converts on the CPU's F16C unit with AVX2 + FMA where present, in portable code otherwise.
#[derive(Clone)]
pub struct HalfRows {
    dims: usize,
    values: Vec<half::f16>,
}

/// A query as it is, with the kernel to use.
#[derive(Debug, Clone)]
pub struct HalfQuery {
    values: Vec<f32>,
    kernel: HalfKernel,
}

impl RowCode for HalfRows {
    const NAME: &'static str = "f16";
    type Query = HalfQuery;

    fn encode(rows: Rows<'_>) -> HalfRows {
        let values = (0..rows.len())
            .into_par_iter()
            .flat_map_iter(|r| {
                let inv = if rows.norms[r] > 0.0 { 1.0 / rows.norms[r] } else { 0.0 };
                rows.row(r).iter().map(move |&v| half::f16::from_f32(if (v * inv).is_finite() { v * inv } else { 0.0 }))
            })
            .collect();
        HalfRows { dims: rows.dims, values }
    }

    fn dims(&self) -> usize {
        self.dims
    }

    fn rows(&self) -> usize {
        self.values.len() / self.dims.max(1)
    }

    fn bytes(&self) -> usize {
        2 * self.values.len()
    }

    fn prepare(&self, query: &[f32]) -> HalfQuery {
        HalfQuery { values: query.to_vec(), kernel: HalfKernel::best() }
    }

    fn dot(&self, row: usize, query: &HalfQuery) -> f32 {
        half_dot(&self.values[row * self.dims..(row + 1) * self.dims], &query.values, query.kernel)
    }
}

/// `Σ a_i·b_i` of half-precision `a` and single-precision `b`.
pub fn half_dot(a: &[half::f16], b: &[f32], kernel: HalfKernel) -> f32 {
    debug_assert_eq!(a.len(), b.len());
    #[cfg(target_arch = "x86_64")]
    if kernel == HalfKernel::Avx2 {
        // SAFETY: HalfKernel::Avx2 is only chosen when the CPU reports AVX2, FMA and F16C.
        return unsafe { half_dot_avx2(a, b) };
    }
    let _ = kernel;
    a.iter().zip(b).map(|(x, y)| x.to_f32() * y).sum()
}

/// Which half-precision dot product to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HalfKernel {
    Scalar,
    Avx2,
}

impl HalfKernel {
    pub fn best() -> HalfKernel {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2")
            && std::arch::is_x86_feature_detected!("fma")
            && std::arch::is_x86_feature_detected!("f16c")
        {
            return HalfKernel::Avx2;
        }
        HalfKernel::Scalar
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma,f16c")]
fn half_dot_avx2(a: &[half::f16], b: &[f32]) -> f32 {
    use std::arch::x86_64::*;
    let mut acc = _mm256_setzero_ps();
    let chunks = a.len() / 8;
    for i in 0..chunks {
        // SAFETY: loads of 8 halves (16 bytes) and 8 floats inside both slices.
        let (h, f) = unsafe { (_mm_loadu_si128(a[i * 8..].as_ptr().cast()), _mm256_loadu_ps(b[i * 8..].as_ptr())) };
        acc = _mm256_fmadd_ps(_mm256_cvtph_ps(h), f, acc);
    }
    let pair = _mm_add_ps(_mm256_castps256_ps128(acc), _mm256_extractf128_ps(acc, 1));
    let quad = _mm_add_ps(pair, _mm_movehl_ps(pair, pair));
    let mut sum = _mm_cvtss_f32(_mm_add_ss(quad, _mm_shuffle_ps(quad, quad, 1)));
    for i in chunks * 8..a.len() {
        sum += a[i].to_f32() * b[i];
    }
    sum
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::{Exact, row_norms};

    fn random_rows(n: usize, dims: usize, seed: u64) -> Vec<f32> {
        let mut rng = crate::random::SplitMix64(seed);
        (0..n * dims).map(|_| (rng.next_f64() * 2.0 - 1.0) as f32).collect()
    }

    #[test]
    fn the_byte_kernels_agree() {
        let mut rng = crate::random::SplitMix64(5);
        let mut bytes =
            |n: usize| -> Vec<i8> { (0..n).map(|_| (rng.next_u64() % 255) as i8).map(|b| b.max(-127)).collect() };
        for len in [32, 64, 96, 320] {
            let (a, b) = (bytes(len), bytes(len));
            assert_eq!(byte_dot(&a, &b, ByteKernel::best()), byte_dot(&a, &b, ByteKernel::Scalar));
        }
        let extreme = vec![-127i8; 64];
        assert_eq!(byte_dot(&extreme, &extreme, ByteKernel::best()), 64 * 127 * 127);
    }

    #[test]
    fn the_half_kernels_agree() {
        let mut rng = crate::random::SplitMix64(9);
        for len in [3, 8, 50, 64, 77] {
            let a: Vec<half::f16> = (0..len).map(|_| half::f16::from_f64(rng.next_f64() - 0.5)).collect();
            let b: Vec<f32> = (0..len).map(|_| rng.next_f64() as f32 - 0.5).collect();
            let (fast, plain) = (half_dot(&a, &b, HalfKernel::best()), half_dot(&a, &b, HalfKernel::Scalar));
            assert!((fast - plain).abs() < 1e-5, "{len}: {fast} vs {plain}");
        }
    }

    #[test]
    fn every_engine_answers_like_the_exact_scan() {
        let (n, dims) = (20_000, 32);
        let data = random_rows(n, dims, 1);
        let norms = row_norms(&data, dims);
        let rows = Rows::new(&data, dims, &norms);
        let int8 = Int8::build(rows);
        assert_eq!(int8.extra_bytes(), n * dims + 4 * dims, "32 dimensions need no padding");
        let f16 = F16::build(rows);
        assert_eq!(f16.extra_bytes(), 2 * n * dims);
        let mut same_f16 = 0;
        let queries = random_rows(100, dims, 2);
        let mut same = 0;
        for (i, q) in queries.chunks_exact(dims).enumerate() {
            let exclude = [i, i + 7];
            let truth = nearest(rows, q, 10, Scoring::default(), &exclude);
            assert_eq!(Exact.nearest(rows, q, 10, Scoring::default(), &exclude).unwrap(), truth);
            let found = int8.nearest(rows, q, 10, Scoring::default(), &exclude).unwrap();
            assert!(found.iter().all(|f| !exclude.contains(&f.row)));
            // Re-ranked scores are the exact scan's, bit for bit, wherever a row is found.
            for f in &found {
                if let Some(t) = truth.iter().find(|t| t.row == f.row) {
                    assert_eq!(t.score, f.score);
                }
            }
            let rows_of = |list: &[Neighbor]| list.iter().map(|n| n.row).collect::<Vec<_>>();
            same += usize::from(rows_of(&found) == rows_of(&truth));
            same_f16 += usize::from(
                rows_of(&f16.nearest(rows, q, 10, Scoring::default(), &exclude).unwrap()) == rows_of(&truth),
            );
            // Other scorings go to the exact scan.
            let raw = Scoring { metric: crate::Metric::Dot, unit_rows: false };
            assert_eq!(int8.nearest(rows, q, 5, raw, &[]).unwrap(), nearest(rows, q, 5, raw, &[]));
        }
        // Random data is the hard case for quantisation (no structure, near-ties everywhere).
        assert!(same >= 97, "{same} of 100 top-10 lists identical");
        assert!(same_f16 >= 99, "f16: {same_f16} of 100 top-10 lists identical");
        let batch = int8.nearest_batch(rows, &queries[..3 * dims], 10, Scoring::default(), &[]).unwrap();
        assert_eq!(batch[1], int8.nearest(rows, &queries[dims..2 * dims], 10, Scoring::default(), &[]).unwrap());
    }
}

//! One interface for neighbour search, several implementations: the exact scan, and compact
//! copies of the matrix searched directly and re-ranked exactly.
//!
//! An engine is an index *beside* a space's rows: every call receives the exact rows, so an
//! approximate engine can re-rank its candidates with full-precision scores, and the exact engine
//! needs nothing of its own. Callers — queries, analogies, directions — see only this trait.

use std::fmt;

use rayon::prelude::*;

use crate::Result;

use super::{Candidate, KeyFn, Neighbor, Rows, Scoring, TopK, kernels, nearest, nearest_batch, sorted};

/// Top-k search with exclusions, one query or many.
pub trait SearchEngine: Send + Sync + fmt::Debug {
    /// A short name: `exact`, `int8`.
    fn name(&self) -> &'static str;

    /// Whether the answers always equal the exact scan's.
    fn is_exact(&self) -> bool;

    /// Bytes the engine holds beyond the space's own rows.
    fn extra_bytes(&self) -> usize;

    /// Whether every query reads every f32 row anyway, so that a ranking other than one dot
    /// product (3CosMul, PairDirection) costs nothing extra as a full scan. Engines that do not
    /// (compact copies, graphs, remote databases) are asked for candidates instead.
    fn scans_every_row(&self) -> bool {
        false
    }

    /// The `k` rows closest to `query`, best first, skipping `exclude`. Local engines never fail;
    /// a remote one reports a lost connection as [`crate::Error::Engine`].
    fn nearest(
        &self,
        rows: Rows<'_>,
        query: &[f32],
        k: usize,
        scoring: Scoring,
        exclude: &[usize],
    ) -> Result<Vec<Neighbor>>;

    /// Many queries (`queries` holds `n × dims` values), one exclusion list each or none.
    fn nearest_batch(
        &self,
        rows: Rows<'_>,
        queries: &[f32],
        k: usize,
        scoring: Scoring,
        exclude: &[Vec<usize>],
    ) -> Result<Vec<Vec<Neighbor>>> {
        queries
            .par_chunks_exact(rows.dims)
            .enumerate()
            .map(|(i, q)| self.nearest(rows, q, k, scoring, exclude.get(i).map_or(&[], Vec::as_slice)))
            .collect()
    }

    /// [`SearchEngine::nearest`] with only the first `limit` rows as answers — a vocabulary
    /// restricted to its most frequent words. Engines built over all rows may still walk the rest.
    fn nearest_below(
        &self,
        rows: Rows<'_>,
        limit: usize,
        query: &[f32],
        k: usize,
        scoring: Scoring,
        exclude: &[usize],
    ) -> Result<Vec<Neighbor>> {
        self.nearest(rows.prefix(limit), query, k, scoring, exclude)
    }
}

/// The exact scan ([`nearest`], [`nearest_batch`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct Exact;

impl SearchEngine for Exact {
    fn name(&self) -> &'static str {
        "exact"
    }

    fn is_exact(&self) -> bool {
        true
    }

    fn extra_bytes(&self) -> usize {
        0
    }

    fn scans_every_row(&self) -> bool {
        true
    }

    fn nearest(
        &self,
        rows: Rows<'_>,
        query: &[f32],
        k: usize,
        scoring: Scoring,
        exclude: &[usize],
    ) -> Result<Vec<Neighbor>> {
        Ok(nearest(rows, query, k, scoring, exclude))
    }

    fn nearest_batch(
        &self,
        rows: Rows<'_>,
        queries: &[f32],
        k: usize,
        scoring: Scoring,
        exclude: &[Vec<usize>],
    ) -> Result<Vec<Vec<Neighbor>>> {
        Ok(nearest_batch(rows, queries, k, scoring, exclude))
    }
}

/// The exact scan presented as an engine that does not read every row, so that analogies rank
/// 3CosMul and PairDirection from its candidates: what candidate ranking alone changes, measured
/// without any approximation in the search (example `analogy_candidates`).
#[derive(Debug, Clone, Copy, Default)]
pub struct ExactCandidates;

impl SearchEngine for ExactCandidates {
    fn name(&self) -> &'static str {
        "exact-candidates"
    }

    fn is_exact(&self) -> bool {
        true
    }

    fn extra_bytes(&self) -> usize {
        0
    }

    fn nearest(
        &self,
        rows: Rows<'_>,
        query: &[f32],
        k: usize,
        scoring: Scoring,
        exclude: &[usize],
    ) -> Result<Vec<Neighbor>> {
        Ok(nearest(rows, query, k, scoring, exclude))
    }
}

/// A scalar-quantised copy of the unit rows: one signed byte per value with a scale per
/// dimension (`q = round(u / s_d)`, `s_d = max |u_d| / 127`), a quarter of the f32 matrix, rows
/// padded to whole 32-byte blocks. A query is scaled by the same `s_d` and rounded to bytes too,
/// so each row's approximate cosine is one integer dot product (AVX2 `maddubs`/`madd` where the CPU
/// has it, a scalar loop otherwise — the same integers). The `rerank × k` best rows are then scored
/// exactly on the f32 rows, with the exact scan's kernel, and the best `k` kept. Scorings other
/// than cosine on unit rows are answered by the exact scan.
#[derive(Clone)]
pub struct Int8 {
    dims: usize,
    /// `dims` rounded up to a multiple of 32.
    padded: usize,
    scales: Vec<f32>,
    codes: Vec<i8>,
    /// Candidates re-ranked per wanted neighbour.
    pub rerank: usize,
}

impl fmt::Debug for Int8 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Int8")
            .field("dims", &self.dims)
            .field("rows", &(self.codes.len() / self.padded.max(1)))
            .finish()
    }
}

/// Rows per parallel task of the byte scan.
const CHUNK_ROWS: usize = 32_768;

impl Int8 {
    /// Quantises the unit-length rows of `rows`.
    pub fn build(rows: Rows<'_>) -> Int8 {
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
        Int8 { dims, padded, scales, codes, rerank: 10 }
    }

    /// The query scaled by the per-dimension scales and rounded to bytes (padded).
    fn quantize_query(&self, query: &[f32]) -> Vec<i8> {
        let scaled: Vec<f32> = query.iter().zip(&self.scales).map(|(q, s)| q * s).collect();
        let max = scaled.iter().fold(0.0f32, |m, v| m.max(v.abs()));
        let inverse = if max > 0.0 { 127.0 / max } else { 0.0 };
        let mut codes: Vec<i8> = scaled.iter().map(|v| (v * inverse).round().clamp(-127.0, 127.0) as i8).collect();
        codes.resize(self.padded, 0);
        codes
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

impl SearchEngine for Int8 {
    fn name(&self) -> &'static str {
        "int8"
    }

    fn is_exact(&self) -> bool {
        false
    }

    fn extra_bytes(&self) -> usize {
        self.codes.len() + 4 * self.scales.len()
    }

    fn nearest(
        &self,
        rows: Rows<'_>,
        query: &[f32],
        k: usize,
        scoring: Scoring,
        exclude: &[usize],
    ) -> Result<Vec<Neighbor>> {
        assert_eq!(query.len(), self.dims, "query and rows differ in dimensions");
        // The rows may be a prefix of those indexed (benchmarks restrict the vocabulary).
        assert!(rows.len() * self.padded <= self.codes.len(), "the index was built for other rows");
        if scoring != Scoring::default() {
            return Ok(nearest(rows, query, k, scoring, exclude));
        }
        let exclude = sorted(exclude);
        let quantized = self.quantize_query(query);
        let kernel = ByteKernel::best();
        let padded = self.padded;
        let key = |row: usize| byte_dot(&self.codes[row * padded..(row + 1) * padded], &quantized, kernel) as f32;
        let candidates = candidates(rows.len(), k.saturating_mul(self.rerank).max(k), &exclude, key);
        Ok(rerank(rows, query, k, candidates))
    }
}

/// The `wanted` rows with the highest approximate `key`, skipping `exclude` (sorted), scanned in
/// parallel chunks.
fn candidates(n: usize, wanted: usize, exclude: &[usize], key: impl Fn(usize) -> f32 + Sync) -> Vec<Candidate> {
    (0..n.div_ceil(CHUNK_ROWS))
        .into_par_iter()
        .map(|chunk| {
            let mut top = TopK::new(wanted);
            let start = chunk * CHUNK_ROWS;
            for row in start..(start + CHUNK_ROWS).min(n) {
                let k = key(row);
                if top.takes_next(k) && exclude.binary_search(&row).is_err() {
                    top.push(Candidate { key: k, row });
                }
            }
            top
        })
        .reduce(|| TopK::new(wanted), TopK::merge)
        .into_candidates()
}

/// The best `k` of the `candidates` rows by exact cosine, scored with the exact scan's kernel: an
/// engine that only finds candidates — a graph, a remote database — then answers with the exact
/// scan's scores bit for bit, and its order among them.
pub fn rescore(rows: Rows<'_>, query: &[f32], k: usize, mut candidates: Vec<usize>) -> Vec<Neighbor> {
    // Rows in increasing order, as the selection's tie rule expects.
    candidates.sort_unstable();
    candidates.dedup();
    rerank(rows, query, k, candidates.into_iter().map(|row| Candidate { key: 0.0, row }).collect())
}

/// The best `k` of `candidates` by exact cosine, computed with the exact scan's own kernel (so the
/// scores equal the exact scan's bit for bit).
fn rerank(rows: Rows<'_>, query: &[f32], k: usize, candidates: Vec<Candidate>) -> Vec<Neighbor> {
    let key_fn = KeyFn::new(Scoring::default(), query);
    let mut exact = TopK::new(k);
    for candidate in candidates {
        let mut dot = [0.0f32];
        kernels::dots(rows.row(candidate.row), rows.dims, query, &mut dot);
        let key = key_fn.key(dot[0], rows.norms[candidate.row]);
        if exact.takes_next(key) {
            exact.push(Candidate { key, row: candidate.row });
        }
    }
    exact.into_neighbors(|key| key_fn.score(key))
}

/// A half-precision copy of the unit rows (IEEE binary16: half the f32 matrix), scanned for the
/// `rerank × k` best approximate cosines, which are then scored exactly. The conversion to f32
/// runs on the CPU's F16C unit with AVX2 + FMA where present, in portable code otherwise.
#[derive(Clone)]
pub struct F16 {
    dims: usize,
    values: Vec<half::f16>,
    /// Candidates re-ranked per wanted neighbour.
    pub rerank: usize,
}

impl fmt::Debug for F16 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("F16").field("dims", &self.dims).field("rows", &(self.values.len() / self.dims.max(1))).finish()
    }
}

impl F16 {
    /// Converts the unit-length rows of `rows`.
    pub fn build(rows: Rows<'_>) -> F16 {
        let values = (0..rows.len())
            .into_par_iter()
            .flat_map_iter(|r| {
                let inv = if rows.norms[r] > 0.0 { 1.0 / rows.norms[r] } else { 0.0 };
                rows.row(r).iter().map(move |&v| half::f16::from_f32(if (v * inv).is_finite() { v * inv } else { 0.0 }))
            })
            .collect();
        F16 { dims: rows.dims, values, rerank: 10 }
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

impl SearchEngine for F16 {
    fn name(&self) -> &'static str {
        "f16"
    }

    fn is_exact(&self) -> bool {
        false
    }

    fn extra_bytes(&self) -> usize {
        2 * self.values.len()
    }

    fn nearest(
        &self,
        rows: Rows<'_>,
        query: &[f32],
        k: usize,
        scoring: Scoring,
        exclude: &[usize],
    ) -> Result<Vec<Neighbor>> {
        assert_eq!(query.len(), self.dims, "query and rows differ in dimensions");
        // The rows may be a prefix of those converted (benchmarks restrict the vocabulary).
        assert!(rows.len() * self.dims <= self.values.len(), "the copy was built for other rows");
        if scoring != Scoring::default() {
            return Ok(nearest(rows, query, k, scoring, exclude));
        }
        let exclude = sorted(exclude);
        let kernel = HalfKernel::best();
        let dims = self.dims;
        let key = |row: usize| half_dot(&self.values[row * dims..(row + 1) * dims], query, kernel);
        let candidates = candidates(rows.len(), k.saturating_mul(self.rerank).max(k), &exclude, key);
        Ok(rerank(rows, query, k, candidates))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::row_norms;

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

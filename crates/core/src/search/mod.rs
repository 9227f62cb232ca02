//! Exact nearest-neighbour search over a row-major matrix, with exclusions.
//!
//! Every metric reduces to one dot product per row plus the row's stored norm, so one memory-bound
//! pass serves all three. Results are ordered best first; equal scores go to the lower row (in
//! frequency-sorted vocabularies, the more common word); rows whose score is NaN are never
//! returned. [`nearest_reference`] is the plain, obviously-correct version that the fast paths
//! ([`nearest`], [`nearest_batch`]) are tested against.

mod batch;
pub mod compact;
pub mod engine;
pub mod hnsw;
pub mod kernels;
pub mod topk;

use std::fmt;
use std::str::FromStr;

use rayon::prelude::*;

pub use batch::nearest_batch;
pub use compact::{F16, Int8};
pub use engine::{Exact, ExactCandidates, SearchEngine};
pub use topk::{Candidate, TopK};

/// How a query is compared with rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Metric {
    /// Cosine similarity, higher is closer (the default, as in gensim's `most_similar`).
    #[default]
    Cosine,
    /// Dot product with the (unit or raw) row, higher is closer.
    Dot,
    /// Euclidean distance to the (unit or raw) row, lower is closer.
    Euclidean,
}

impl Metric {
    /// Whether a higher score means closer.
    pub fn higher_is_closer(self) -> bool {
        self != Metric::Euclidean
    }

    pub fn name(self) -> &'static str {
        match self {
            Metric::Cosine => "cosine",
            Metric::Dot => "dot",
            Metric::Euclidean => "euclidean",
        }
    }
}

impl fmt::Display for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Metric {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "cosine" | "cos" => Ok(Metric::Cosine),
            "dot" => Ok(Metric::Dot),
            "euclidean" | "l2" => Ok(Metric::Euclidean),
            _ => Err(format!("unknown metric {s:?}: use cosine, dot or euclidean")),
        }
    }
}

/// One search result: a row and its score under the metric.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Neighbor {
    pub row: usize,
    pub score: f32,
}

/// A row-major matrix with a stored norm per row, borrowed for searching.
#[derive(Debug, Clone, Copy)]
pub struct Rows<'a> {
    pub data: &'a [f32],
    pub dims: usize,
    pub norms: &'a [f32],
}

impl<'a> Rows<'a> {
    /// Panics if the slices disagree; matrices check their shape when they are built.
    pub fn new(data: &'a [f32], dims: usize, norms: &'a [f32]) -> Self {
        assert!(dims > 0 && data.len() == norms.len() * dims, "matrix shape and norms disagree");
        Rows { data, dims, norms }
    }

    pub fn len(&self) -> usize {
        self.norms.len()
    }

    pub fn is_empty(&self) -> bool {
        self.norms.is_empty()
    }

    pub fn row(&self, row: usize) -> &'a [f32] {
        &self.data[row * self.dims..(row + 1) * self.dims]
    }

    /// The first `limit` rows (all of them if there are fewer).
    pub fn prefix(&self, limit: usize) -> Rows<'a> {
        let limit = limit.min(self.len());
        Rows { data: &self.data[..limit * self.dims], dims: self.dims, norms: &self.norms[..limit] }
    }

    /// FNV-1a over the shape and the row norms: what a saved index or a server's copy records, so
    /// that one made from other rows is refused.
    pub fn fingerprint(&self) -> u64 {
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        let mut eat = |bytes: &[u8]| {
            for &b in bytes {
                hash ^= u64::from(b);
                hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
            }
        };
        eat(&(self.len() as u64).to_le_bytes());
        eat(&(self.dims as u64).to_le_bytes());
        for norm in self.norms {
            eat(&norm.to_le_bytes());
        }
        hash
    }
}

/// What to compare and how: the metric, and whether rows are first scaled to unit length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scoring {
    pub metric: Metric,
    /// Compare against unit-length rows (the default); `false` uses the raw vectors.
    pub unit_rows: bool,
}

impl Default for Scoring {
    fn default() -> Self {
        Scoring { metric: Metric::Cosine, unit_rows: true }
    }
}

/// Turns a row's dot product with the query into a ranking key (higher is better) and back into
/// the score people see. Keys avoid a square root and a division per row.
#[derive(Debug, Clone, Copy)]
pub(crate) struct KeyFn {
    scoring: Scoring,
    query_norm: f32,
    query_norm_sq: f32,
}

impl KeyFn {
    pub(crate) fn new(scoring: Scoring, query: &[f32]) -> Self {
        let query_norm_sq: f32 = query.iter().map(|x| x * x).sum();
        KeyFn { scoring, query_norm: query_norm_sq.sqrt(), query_norm_sq }
    }

    #[inline(always)]
    pub(crate) fn key(&self, dot: f32, norm: f32) -> f32 {
        // A zero row scores 0; a row holding NaN has a NaN norm and scores NaN.
        let unit = if norm == 0.0 { 0.0 } else { dot / norm };
        match (self.scoring.metric, self.scoring.unit_rows) {
            (Metric::Cosine, _) | (Metric::Dot, true) => unit,
            (Metric::Dot, false) => dot,
            // |q − r|² = |q|² − (2 q·r − |r|²): rank by the part that depends on the row.
            (Metric::Euclidean, true) => 2.0 * unit - if norm == 0.0 { 0.0 } else { 1.0 },
            (Metric::Euclidean, false) => 2.0 * dot - norm * norm,
        }
    }

    /// [`KeyFn::key`] over a block of dot products, in place. `inverse_norms[i]` is `1 / norms[i]`
    /// (0 for a zero row); one loop per metric so each vectorises.
    pub(crate) fn keys_in_place(&self, dots: &mut [f32], norms: &[f32], inverse_norms: &[f32]) {
        match (self.scoring.metric, self.scoring.unit_rows) {
            (Metric::Cosine, _) | (Metric::Dot, true) => {
                dots.iter_mut().zip(inverse_norms).for_each(|(d, &inv)| *d *= inv);
            }
            (Metric::Dot, false) => {}
            (Metric::Euclidean, true) => {
                for ((d, &inv), &norm) in dots.iter_mut().zip(inverse_norms).zip(norms) {
                    *d = 2.0 * *d * inv - if norm == 0.0 { 0.0 } else { 1.0 };
                }
            }
            (Metric::Euclidean, false) => {
                dots.iter_mut().zip(norms).for_each(|(d, &norm)| *d = 2.0 * *d - norm * norm);
            }
        }
    }

    pub(crate) fn score(&self, key: f32) -> f32 {
        match self.scoring.metric {
            Metric::Cosine if self.query_norm > 0.0 => key / self.query_norm,
            Metric::Cosine => 0.0,
            Metric::Dot => key,
            Metric::Euclidean => (self.query_norm_sq - key).max(0.0).sqrt(),
        }
    }
}

/// Rows per parallel task: large enough to amortise scheduling, small enough to balance.
const CHUNK_ROWS: usize = 16_384;
/// Rows whose dot products are computed in one kernel call before selection.
const BLOCK_ROWS: usize = 256;

/// The `k` rows closest to `query`, best first, skipping the rows in `exclude`.
///
/// Runs on all threads of rayon's pool and on the fastest dot-product kernel the CPU has.
pub fn nearest(rows: Rows<'_>, query: &[f32], k: usize, scoring: Scoring, exclude: &[usize]) -> Vec<Neighbor> {
    assert_eq!(query.len(), rows.dims, "query and rows differ in dimensions");
    let key_fn = KeyFn::new(scoring, query);
    let exclude = sorted(exclude);
    let n = rows.len();
    let scan = |start: usize| scan_range(rows, start..(start + CHUNK_ROWS).min(n), query, key_fn, k, &exclude);
    let top = in_chunks(n, k, scan);
    top.into_neighbors(|key| key_fn.score(key))
}

fn scan_range(
    rows: Rows<'_>,
    range: std::ops::Range<usize>,
    query: &[f32],
    key_fn: KeyFn,
    k: usize,
    exclude: &[usize],
) -> TopK {
    let mut top = TopK::new(k);
    let mut dots = [0.0f32; BLOCK_ROWS];
    let mut start = range.start;
    while start < range.end {
        let end = (start + BLOCK_ROWS).min(range.end);
        let dots = &mut dots[..end - start];
        kernels::dots(&rows.data[start * rows.dims..end * rows.dims], rows.dims, query, dots);
        for (offset, &dot) in dots.iter().enumerate() {
            let row = start + offset;
            let key = key_fn.key(dot, rows.norms[row]);
            if top.takes_next(key) && exclude.binary_search(&row).is_err() {
                top.push(Candidate { key, row });
            }
        }
        start = end;
    }
    top
}

/// The plain reference for [`nearest`]: score every row, sort, cut.
pub fn nearest_reference(
    rows: Rows<'_>,
    query: &[f32],
    k: usize,
    scoring: Scoring,
    exclude: &[usize],
) -> Vec<Neighbor> {
    let key_fn = KeyFn::new(scoring, query);
    let mut candidates: Vec<Candidate> = (0..rows.len())
        .filter(|row| !exclude.contains(row))
        .map(|row| {
            let mut dot = [0.0];
            kernels::dots_portable(rows.row(row), rows.dims, query, &mut dot);
            Candidate { key: key_fn.key(dot[0], rows.norms[row]), row }
        })
        .filter(|c| !c.key.is_nan())
        .collect();
    candidates.sort_by(|a, b| b.cmp(a));
    candidates.truncate(k);
    candidates.into_iter().map(|c| Neighbor { row: c.row, score: key_fn.score(c.key) }).collect()
}

/// The `k` rows with the highest `combine(dots, norm)`, best first, skipping `exclude`.
///
/// `dots[i]` is the row's dot product with `queries[i]` and `norm` its stored length. This is the
/// fused scan behind scores that mix several queries, such as 3CosMul and PairDirection: one pass
/// over memory however many queries there are. The returned score is `combine`'s value.
pub fn nearest_by<F>(rows: Rows<'_>, queries: &[&[f32]], k: usize, exclude: &[usize], combine: F) -> Vec<Neighbor>
where
    F: Fn(&[f32], f32) -> f32 + Sync,
{
    assert!(queries.iter().all(|q| q.len() == rows.dims), "query and rows differ in dimensions");
    let exclude = sorted(exclude);
    let n = rows.len();
    let scan = |start: usize| {
        let end = (start + CHUNK_ROWS).min(n);
        let mut top = TopK::new(k);
        let mut dots = vec![0.0f32; queries.len() * BLOCK_ROWS];
        let mut row_dots = vec![0.0f32; queries.len()];
        let mut block = start;
        while block < end {
            let block_end = (block + BLOCK_ROWS).min(end);
            let count = block_end - block;
            for (q, query) in queries.iter().enumerate() {
                let out = &mut dots[q * BLOCK_ROWS..q * BLOCK_ROWS + count];
                kernels::dots(&rows.data[block * rows.dims..block_end * rows.dims], rows.dims, query, out);
            }
            for offset in 0..count {
                let row = block + offset;
                for (q, slot) in row_dots.iter_mut().enumerate() {
                    *slot = dots[q * BLOCK_ROWS + offset];
                }
                let key = combine(&row_dots, rows.norms[row]);
                if top.takes_next(key) && exclude.binary_search(&row).is_err() {
                    top.push(Candidate { key, row });
                }
            }
            block = block_end;
        }
        top
    };
    let top = in_chunks(n, k, scan);
    // The combined value is the score itself.
    top.into_neighbors(|key| key)
}

/// The score of every row against `query` (NaN where a row's score is undefined).
pub fn all_scores(rows: Rows<'_>, query: &[f32], scoring: Scoring) -> Vec<f32> {
    assert_eq!(query.len(), rows.dims, "query and rows differ in dimensions");
    let key_fn = KeyFn::new(scoring, query);
    let mut scores = vec![0.0f32; rows.len()];
    scores.par_chunks_mut(CHUNK_ROWS).enumerate().for_each(|(chunk, out)| {
        let start = chunk * CHUNK_ROWS;
        let data = &rows.data[start * rows.dims..(start + out.len()) * rows.dims];
        kernels::dots(data, rows.dims, query, out);
        for (offset, score) in out.iter_mut().enumerate() {
            *score = key_fn.score(key_fn.key(*score, rows.norms[start + offset]));
        }
    });
    scores
}

/// Runs `scan` on each chunk of `n` rows (given its first row), in parallel, and merges the
/// selections.
fn in_chunks(n: usize, k: usize, scan: impl Fn(usize) -> TopK + Sync) -> TopK {
    if n <= CHUNK_ROWS {
        return scan(0);
    }
    (0..n).into_par_iter().step_by(CHUNK_ROWS).map(&scan).reduce(|| TopK::new(k), TopK::merge)
}

fn sorted(rows: &[usize]) -> Vec<usize> {
    let mut rows = rows.to_vec();
    rows.sort_unstable();
    rows.dedup();
    rows
}

/// Euclidean length of every row, accumulated in f64 so long rows keep full f32 precision.
pub fn row_norms(data: &[f32], dims: usize) -> Vec<f32> {
    data.chunks_exact(dims).map(|row| crate::length(row) as f32).collect()
}

#[cfg(test)]
mod tests;

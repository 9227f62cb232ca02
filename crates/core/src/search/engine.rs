//! One interface for neighbour search, several implementations: the exact scan here, compact
//! copies of the matrix searched directly and re-ranked exactly ([`super::compact`]), a graph
//! ([`super::hnsw`]), database servers (the `vecspace-remote` crate).
//!
//! An engine is an index *beside* a space's rows: every call receives the exact rows, so an
//! approximate engine can re-rank its candidates with full-precision scores, and the exact engine
//! needs nothing of its own. Callers — queries, analogies, directions — see only this trait.

use std::fmt;

use rayon::prelude::*;

use crate::Result;

// Where the compact engines and their kernels were found before they had a module of their own.
pub use super::compact::{ByteKernel, F16, HalfKernel, Int8, byte_dot, half_dot};
use super::{Candidate, KeyFn, Neighbor, Rows, Scoring, TopK, kernels, nearest, nearest_batch};

/// Top-k search with exclusions, one query or many.
pub trait SearchEngine: Send + Sync + fmt::Debug {
    /// A short name: `exact`, `int8`.
    fn name(&self) -> &'static str;

    /// Whether the answers always equal the exact scan's.
    fn is_exact(&self) -> bool;

    /// What searches, for a reader: the name and, where they matter, the index's parameters or
    /// the server it lives on.
    fn describe(&self) -> String {
        self.name().to_owned()
    }

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

    /// [`SearchEngine::nearest_batch`] with only the first `limit` rows as answers. A remote
    /// engine sends many queries per request; the others answer each in parallel.
    fn nearest_batch_below(
        &self,
        rows: Rows<'_>,
        limit: usize,
        queries: &[f32],
        k: usize,
        scoring: Scoring,
        exclude: &[Vec<usize>],
    ) -> Result<Vec<Vec<Neighbor>>> {
        queries
            .par_chunks_exact(rows.dims)
            .enumerate()
            .map(|(i, q)| self.nearest_below(rows, limit, q, k, scoring, exclude.get(i).map_or(&[], Vec::as_slice)))
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

    fn nearest_batch_below(
        &self,
        rows: Rows<'_>,
        limit: usize,
        queries: &[f32],
        k: usize,
        scoring: Scoring,
        exclude: &[Vec<usize>],
    ) -> Result<Vec<Vec<Neighbor>>> {
        Ok(nearest_batch(rows.prefix(limit), queries, k, scoring, exclude))
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

/// Whether an engine that indexes the unit rows by cosine hands a search to the exact scan
/// instead: under any other scoring its index has nothing to offer, and a query whose length is
/// zero or overflows has no direction to search for.
pub fn needs_exact_scan(scoring: Scoring, query: &[f32]) -> bool {
    let length_squared: f32 = query.iter().map(|x| x * x).sum();
    scoring != Scoring::default() || length_squared == 0.0 || !length_squared.is_finite()
}

/// Rows per parallel task of an approximate scan.
const CHUNK_ROWS: usize = 32_768;

/// The `wanted` rows with the highest approximate `key`, skipping `exclude` (sorted), scanned in
/// parallel chunks.
pub(super) fn candidates(
    n: usize,
    wanted: usize,
    exclude: &[usize],
    key: impl Fn(usize) -> f32 + Sync,
) -> Vec<Candidate> {
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
pub(super) fn rerank(rows: Rows<'_>, query: &[f32], k: usize, candidates: Vec<Candidate>) -> Vec<Neighbor> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Metric;

    #[test]
    fn other_scorings_and_queries_without_a_direction_go_to_the_exact_scan() {
        let cosine = Scoring::default();
        assert!(!needs_exact_scan(cosine, &[0.5, -1.0]));
        assert!(needs_exact_scan(Scoring { metric: Metric::Dot, unit_rows: true }, &[0.5, -1.0]));
        assert!(needs_exact_scan(Scoring { metric: Metric::Cosine, unit_rows: false }, &[0.5, -1.0]));
        assert!(needs_exact_scan(cosine, &[0.0, 0.0]));
        assert!(needs_exact_scan(cosine, &[f32::NAN, 1.0]));
        assert!(needs_exact_scan(cosine, &[f32::INFINITY, 1.0]));
        // Finite, but its length overflows in f32: no unit vector to search with.
        assert!(needs_exact_scan(cosine, &[3e19, 1.0]));
    }
}

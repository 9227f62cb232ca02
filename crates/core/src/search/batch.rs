//! Many queries at once: blocked matrix multiplication fused with top-k selection.
//!
//! A block of queries times a block of rows is one small GEMM whose result stays in cache while
//! each query's selection reads it, so the matrix streams from memory once per query block rather
//! than once per query.

use rayon::prelude::*;

use super::topk::{Candidate, TopK};
use super::{KeyFn, Neighbor, Rows, Scoring};

/// Queries multiplied together per GEMM call.
const QUERY_BLOCK: usize = 64;
/// Rows multiplied together per GEMM call; with 64 queries the score tile is 512 KiB.
const ROW_BLOCK: usize = 2048;

/// The `k` nearest rows for each query, best first — the same answers as calling
/// [`nearest`](super::nearest) once per query, up to floating-point rounding.
///
/// `queries` holds the query vectors back to back (`n × dims`). `exclude` is empty, or holds one
/// list of rows to skip per query.
pub fn nearest_batch(
    rows: Rows<'_>,
    queries: &[f32],
    k: usize,
    scoring: Scoring,
    exclude: &[Vec<usize>],
) -> Vec<Vec<Neighbor>> {
    let dims = rows.dims;
    assert_eq!(queries.len() % dims, 0, "queries are not a whole number of vectors");
    let count = queries.len() / dims;
    assert!(exclude.is_empty() || exclude.len() == count, "one exclusion list per query");
    let key_fns: Vec<KeyFn> = queries.chunks_exact(dims).map(|q| KeyFn::new(scoring, q)).collect();
    let exclusions: Vec<Vec<usize>> =
        if exclude.is_empty() { vec![Vec::new(); count] } else { exclude.iter().map(|e| super::sorted(e)).collect() };
    // Multiplying by a stored inverse is much cheaper than dividing every score by a norm.
    let inverse_norms: Vec<f32> = rows.norms.iter().map(|&n| if n == 0.0 { 0.0 } else { 1.0 / n }).collect();
    let plan = Plan { rows, queries, k, key_fns: &key_fns, exclusions: &exclusions, inverse_norms: &inverse_norms };

    let query_blocks = count.div_ceil(QUERY_BLOCK);
    let threads = rayon::current_num_threads();
    let tops: Vec<TopK> = if query_blocks >= threads {
        // Enough independent work: each task owns whole queries and scans every row.
        (0..query_blocks)
            .into_par_iter()
            .flat_map_iter(|block| {
                let queries = block * QUERY_BLOCK..((block + 1) * QUERY_BLOCK).min(count);
                plan.scan(queries, 0..rows.len())
            })
            .collect()
    } else {
        // Few queries: split the rows instead and merge each query's partial selections.
        let chunk = rows.len().div_ceil(threads * 4).max(ROW_BLOCK);
        (0..rows.len())
            .into_par_iter()
            .step_by(chunk)
            .map(|start| {
                let row_range = start..(start + chunk).min(rows.len());
                (0..query_blocks)
                    .flat_map(|block| {
                        plan.scan(block * QUERY_BLOCK..((block + 1) * QUERY_BLOCK).min(count), row_range.clone())
                    })
                    .collect::<Vec<_>>()
            })
            .reduce(
                || (0..count).map(|_| TopK::new(k)).collect(),
                |a, b| a.into_iter().zip(b).map(|(x, y)| x.merge(y)).collect(),
            )
    };
    tops.into_iter().zip(key_fns).map(|(top, key_fn)| top.into_neighbors(|key| key_fn.score(key))).collect()
}

struct Plan<'a> {
    rows: Rows<'a>,
    queries: &'a [f32],
    k: usize,
    key_fns: &'a [KeyFn],
    exclusions: &'a [Vec<usize>],
    inverse_norms: &'a [f32],
}

impl Plan<'_> {
    /// Selections for the queries in `query_range` over the rows in `row_range`.
    fn scan(&self, query_range: std::ops::Range<usize>, row_range: std::ops::Range<usize>) -> Vec<TopK> {
        let dims = self.rows.dims;
        let block_queries = query_range.len();
        let mut tops: Vec<TopK> = (0..block_queries).map(|_| TopK::new(self.k)).collect();
        let mut tile = vec![0.0f32; block_queries * ROW_BLOCK];
        let query_block = &self.queries[query_range.start * dims..query_range.end * dims];
        let mut start = row_range.start;
        while start < row_range.end {
            let end = (start + ROW_BLOCK).min(row_range.end);
            let block_rows = end - start;
            let row_block = &self.rows.data[start * dims..end * dims];
            // tile (queries × rows, row-major with stride block_rows) = query_block · row_blockᵀ
            // SAFETY: the pointers and strides describe exactly the slices above, whose lengths
            // are block_queries·dims, block_rows·dims and ≥ block_queries·block_rows.
            unsafe {
                matrixmultiply::sgemm(
                    block_queries,
                    dims,
                    block_rows,
                    1.0,
                    query_block.as_ptr(),
                    dims as isize,
                    1,
                    row_block.as_ptr(),
                    1,
                    dims as isize,
                    0.0,
                    tile.as_mut_ptr(),
                    block_rows as isize,
                    1,
                );
            }
            for (q, top) in tops.iter_mut().enumerate() {
                let query = query_range.start + q;
                let key_fn = self.key_fns[query];
                let exclusions = &self.exclusions[query];
                let scores = &mut tile[q * block_rows..(q + 1) * block_rows];
                key_fn.keys_in_place(scores, &self.rows.norms[start..end], &self.inverse_norms[start..end]);
                for (offset, &key) in scores.iter().enumerate() {
                    if top.takes_next(key) && exclusions.binary_search(&(start + offset)).is_err() {
                        top.push(Candidate { key, row: start + offset });
                    }
                }
            }
            start = end;
        }
        tops
    }
}

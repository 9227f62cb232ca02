//! HNSW index files: `vecspace_formats::hnsw::open` for the small space of `vecspace_fuzz` (the
//! seeds carry its fingerprint), then searches through the index it accepted.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vecspace_core::search::{Metric, Scoring, SearchEngine};
use vecspace_formats::hnsw;

fuzz_target!(|data: &[u8]| {
    let space = vecspace_fuzz::shared_space();
    let path = vecspace_fuzz::scratch_file("input.hnsw", data);
    let Ok(mut index) = hnsw::open(&path, space) else { return };
    let _ = (index.nodes(), index.dims(), index.m(), index.entry(), index.bottom().len(), index.upper().len());
    for ef in [1, 16] {
        index.ef = ef;
        for row in [0, 5, space.len() - 1] {
            let query = space.unit_vector(row);
            for scoring in [Scoring::default(), Scoring { metric: Metric::Dot, unit_rows: false }] {
                let _ = index.nearest(space.rows(), &query, 5, scoring, &[row]);
            }
        }
    }
});

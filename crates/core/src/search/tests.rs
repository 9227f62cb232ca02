use proptest::prelude::*;

use super::*;

/// A deterministic pseudo-random matrix with a few planted exact ties, zero rows and NaNs.
fn fixture(n: usize, dims: usize, seed: u64) -> (Vec<f32>, Vec<f32>) {
    let mut state = seed;
    let mut next = move || {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((state >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
    };
    let mut data: Vec<f32> = (0..n * dims).map(|_| next()).collect();
    if n > 10 {
        let (copy, rest) = data.split_at_mut(5 * dims);
        rest[..dims].copy_from_slice(&copy[..dims]); // row 5 == row 0: an exact tie
        data[7 * dims..8 * dims].fill(0.0); // a zero row
        data[9 * dims] = f32::NAN; // a row that scores NaN
    }
    let norms = row_norms(&data, dims);
    (data, norms)
}

fn all_scorings() -> Vec<Scoring> {
    let mut all = Vec::new();
    for metric in [Metric::Cosine, Metric::Dot, Metric::Euclidean] {
        for unit_rows in [true, false] {
            all.push(Scoring { metric, unit_rows });
        }
    }
    all
}

/// Equal up to rounding: the same scores in order, and where rows differ, a near-tie explains it.
fn assert_same(fast: &[Neighbor], reference: &[Neighbor], context: &str) {
    assert_eq!(fast.len(), reference.len(), "{context}: lengths");
    for (f, r) in fast.iter().zip(reference) {
        let tolerance = 1e-4 * (1.0 + r.score.abs());
        assert!((f.score - r.score).abs() <= tolerance, "{context}: {f:?} vs {r:?}");
    }
    let near_ties = fast.windows(2).any(|w| (w[0].score - w[1].score).abs() < 1e-4);
    if !near_ties {
        let rows = |v: &[Neighbor]| v.iter().map(|n| n.row).collect::<Vec<_>>();
        assert_eq!(rows(fast), rows(reference), "{context}: rows");
    }
}

#[test]
fn fast_scan_matches_the_reference_for_every_metric() {
    for &(n, dims) in &[(40_000, 50), (1000, 7), (3, 4)] {
        let (data, norms) = fixture(n, dims, n as u64);
        let rows = Rows::new(&data, dims, &norms);
        let query: Vec<f32> = data[dims..2 * dims].iter().map(|x| x * 0.7 + 0.1).collect();
        for scoring in all_scorings() {
            for k in [0, 1, 10, 100] {
                let exclude = [1, 3, 30_000];
                let fast = nearest(rows, &query, k, scoring, &exclude);
                let reference = nearest_reference(rows, &query, k, scoring, &exclude);
                assert_same(&fast, &reference, &format!("n={n} {scoring:?} k={k}"));
                assert!(fast.iter().all(|hit| !exclude.contains(&hit.row)));
            }
        }
    }
}

#[test]
fn exact_ties_go_to_the_lower_row_and_nan_rows_are_never_returned() {
    let (data, norms) = fixture(100, 8, 3);
    let rows = Rows::new(&data, 8, &norms);
    let query = rows.row(0).to_vec();
    let hits = nearest(rows, &query, 100, Scoring::default(), &[]);
    assert_eq!((hits[0].row, hits[1].row), (0, 5));
    assert_eq!(hits[0].score, hits[1].score);
    assert!(!hits.iter().any(|hit| hit.row == 9), "the NaN row was returned");
    assert_eq!(hits.len(), 99);
    assert_eq!(
        nearest_reference(rows, &query, 2, Scoring::default(), &[]).iter().map(|h| h.row).collect::<Vec<_>>(),
        vec![0, 5]
    );
}

#[test]
fn euclidean_scores_are_distances_ordered_ascending() {
    let data = vec![0.0, 0.0, 3.0, 4.0, 1.0, 0.0];
    let norms = row_norms(&data, 2);
    let rows = Rows::new(&data, 2, &norms);
    let raw = Scoring { metric: Metric::Euclidean, unit_rows: false };
    let hits = nearest(rows, &[1.0, 1.0], 3, raw, &[]);
    let rows_found: Vec<usize> = hits.iter().map(|h| h.row).collect();
    assert_eq!(rows_found, vec![2, 0, 1]);
    assert!((hits[0].score - 1.0).abs() < 1e-6);
    assert!((hits[1].score - 2f32.sqrt()).abs() < 1e-6);
    assert!((hits[2].score - 13f32.sqrt()).abs() < 1e-6);
}

#[test]
fn batch_matches_single_queries() {
    for (n, queries) in [(20_000, 3), (5_000, 150)] {
        let dims = 50;
        let (data, norms) = fixture(n, dims, 11);
        let rows = Rows::new(&data, dims, &norms);
        let flat: Vec<f32> = (0..queries).flat_map(|q| rows.row(q * 13 % n).iter().map(|x| x + 0.05)).collect();
        let exclude: Vec<Vec<usize>> = (0..queries).map(|q| vec![q * 13 % n]).collect();
        for scoring in all_scorings() {
            let batch = nearest_batch(rows, &flat, 10, scoring, &exclude);
            assert_eq!(batch.len(), queries);
            for (q, hits) in batch.iter().enumerate() {
                let single = nearest(rows, &flat[q * dims..(q + 1) * dims], 10, scoring, &exclude[q]);
                assert_same(hits, &single, &format!("query {q} {scoring:?}"));
            }
        }
    }
}

proptest! {
    #[test]
    fn fast_and_reference_agree_on_random_matrices(
        dims in 1usize..20,
        n in 0usize..300,
        seed in any::<u64>(),
        k in 0usize..20,
        exclude in proptest::collection::vec(0usize..300, 0..5),
    ) {
        let (data, norms) = fixture(n, dims, seed);
        let rows = Rows::new(&data, dims, &norms);
        let query: Vec<f32> = (0..dims).map(|i| (i as f32 * 0.37).sin()).collect();
        for scoring in all_scorings() {
            let fast = nearest(rows, &query, k, scoring, &exclude);
            let reference = nearest_reference(rows, &query, k, scoring, &exclude);
            assert_same(&fast, &reference, &format!("{scoring:?}"));
        }
    }
}

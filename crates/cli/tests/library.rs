//! The library API on the real space: batch search agrees with single queries, and
//! `Space::open` reads the cached native file.

use vecspace::OpenSpace;
use vecspace::search::{Metric, Scoring};
use vecspace::{QueryOptions, Space};

#[test]
fn batch_search_agrees_with_single_queries_on_glove() {
    let space = Space::open(crate::support::glove()).unwrap();
    let rows: Vec<usize> = (0..300).map(|i| i * 997 % 50_000).collect();
    let queries: Vec<f32> = rows.iter().flat_map(|&row| space.unit_vector(row)).collect();
    let exclude: Vec<Vec<usize>> = rows.iter().map(|&row| vec![row]).collect();
    for metric in [Metric::Cosine, Metric::Dot, Metric::Euclidean] {
        let scoring = Scoring { metric, unit_rows: true };
        let batch = space.nearest_batch(&queries, 10, scoring, &exclude).unwrap();
        for (i, &row) in rows.iter().enumerate() {
            let single = space.nearest_with(&space.unit_vector(row), 10, scoring, &[row]).unwrap();
            let batch_words: Vec<&str> = batch[i].iter().map(|s| s.word.as_str()).collect();
            let single_words: Vec<&str> = single.iter().map(|s| s.word.as_str()).collect();
            for (b, s) in batch[i].iter().zip(&single) {
                assert!((b.score - s.score).abs() < 1e-4, "{metric}: {b:?} vs {s:?}");
            }
            let near_tie = single.windows(2).any(|w| (w[0].score - w[1].score).abs() < 1e-5);
            assert!(near_tie || batch_words == single_words, "{metric} row {row}: {batch_words:?} vs {single_words:?}");
        }
    }
}

#[test]
fn the_fast_scan_agrees_with_the_reference_on_glove() {
    let space = Space::open(crate::support::glove()).unwrap();
    for expression in
        ["king - man + woman", "tokyo - japan + france", "slerp(cat, dog, 0.3)", "reject(doctor, he - she)"]
    {
        let (_, value) = space.evaluate(expression, true).unwrap();
        let vector = value.into_vector().unwrap();
        for unit_rows in [true, false] {
            let scoring = Scoring { metric: Metric::Cosine, unit_rows };
            let fast = vecspace::search::nearest(space.rows(), &vector, 25, scoring, &[]);
            let reference = vecspace::search::nearest_reference(space.rows(), &vector, 25, scoring, &[]);
            let rows = |v: &[vecspace::Neighbor]| v.iter().map(|n| n.row).collect::<Vec<_>>();
            assert_eq!(rows(&fast), rows(&reference), "{expression}");
        }
    }
    let answer = space.query("paris - france + germany", &QueryOptions::default().top(1)).unwrap();
    assert_eq!(answer.results[0].word, "berlin");
}

/// The int8 and f16 engines (a compact copy scanned first, candidates re-ranked exactly) against
/// the exact scan on GloVe: recall@10 over 500 queries, and identical answers to the README's query.
#[test]
fn compact_engines_find_the_exact_neighbours_on_glove() {
    let mut space = Space::open(crate::support::glove()).unwrap();
    let rows: Vec<usize> = (0..500).map(|i| i * 613 % 100_000).collect();
    let exact: Vec<Vec<usize>> = rows
        .iter()
        .map(|&row| space.nearest(&space.unit_vector(row), 10, &[row]).unwrap().iter().map(|s| s.row).collect())
        .collect();
    let readme = space.query("king - man + woman", &QueryOptions::default()).unwrap();
    let engines: [Box<dyn vecspace::search::SearchEngine>; 2] =
        [Box::new(vecspace::search::Int8::build(space.rows())), Box::new(vecspace::search::F16::build(space.rows()))];
    for engine in engines {
        let name = engine.name();
        space.set_engine(engine);
        let mut found = 0;
        for (&row, truth) in rows.iter().zip(&exact) {
            let got = space.nearest(&space.unit_vector(row), 10, &[row]).unwrap();
            found += got.iter().filter(|s| truth.contains(&s.row)).count();
        }
        let recall = found as f64 / (10 * rows.len()) as f64;
        assert!(recall >= 0.995, "{name}: recall@10 {recall}");
        let compact = space.query("king - man + woman", &QueryOptions::default()).unwrap();
        assert_eq!(compact.results, readme.results, "{name}");
    }
    // The command line chooses it with --index.
    let out = crate::support::on_glove(&["--index", "int8", "--json", "query", "king - man + woman", "-k", "3"]).json();
    assert_eq!(out["results"][0]["word"], "queen");
    let err = crate::support::on_glove(&["--index", "hnsw9", "query", "king"]).fails();
    assert!(err.contains("unknown index"), "{err}");
}

/// The HNSW index on the first 50 000 GloVe words: recall@10 against the exact scan at the default
/// beam, saved beside the space and opened again with the same answers; then the command line
/// builds, keeps and reuses one for a space file.
#[test]
fn the_hnsw_index_finds_the_exact_neighbours_and_persists() {
    use vecspace::search::SearchEngine;
    use vecspace::search::hnsw::{Hnsw, HnswParams};
    let full = Space::open(crate::support::glove()).unwrap();
    let n = 50_000;
    let words: Vec<String> = (0..n).map(|r| full.word(r).to_owned()).collect();
    let space = Space::from_rows(words, full.rows().data[..n * full.dims()].to_vec(), full.dims()).unwrap();
    let index = Hnsw::build(space.rows(), HnswParams::default(), &vecspace::progress::Silent);
    let queries: Vec<usize> = (0..300).map(|i| i * 163 % n).collect();
    let mut found = 0;
    for &q in &queries {
        let query = space.unit_vector(q);
        let truth: Vec<usize> = space.nearest(&query, 10, &[q]).unwrap().iter().map(|s| s.row).collect();
        let got = index.nearest(space.rows(), &query, 10, Scoring::default(), &[q]).unwrap();
        assert!(got.iter().all(|g| g.row != q));
        found += got.iter().filter(|g| truth.contains(&g.row)).count();
    }
    let recall = found as f64 / (10 * queries.len()) as f64;
    assert!(recall >= 0.98, "recall@10 {recall}");
    // A restricted vocabulary: only the first 25 000 words may answer; the beam widens 2×.
    let limit = 25_000;
    let mut found = 0;
    for &q in &queries {
        let query = space.unit_vector(q);
        let truth: Vec<usize> =
            vecspace::search::nearest(space.rows().prefix(limit), &query, 10, Scoring::default(), &[q])
                .iter()
                .map(|s| s.row)
                .collect();
        let got = index.nearest_below(space.rows(), limit, &query, 10, Scoring::default(), &[q]).unwrap();
        assert!(got.iter().all(|g| g.row < limit && g.row != q), "{got:?}");
        found += got.iter().filter(|g| truth.contains(&g.row)).count();
    }
    let recall = found as f64 / (10 * queries.len()) as f64;
    assert!(recall >= 0.98, "recall@10 below {limit}: {recall}");
    let dir = crate::support::temp_dir();
    let file = dir.path().join("slice.hnsw");
    vecspace::formats::hnsw::write(&index, vecspace::formats::hnsw::fingerprint(&space), &file).unwrap();
    let opened = vecspace::formats::hnsw::open(&file, &space).unwrap();
    let query = space.unit_vector(17);
    assert_eq!(
        opened.nearest(space.rows(), &query, 10, Scoring::default(), &[]).unwrap(),
        index.nearest(space.rows(), &query, 10, Scoring::default(), &[]).unwrap()
    );

    // The command line: the first run builds and saves `small.hnsw` beside `small.txt`, the second
    // opens it; both answer as the exact scan does here.
    let small = dir.path().join("small.txt");
    let text_of = |range: std::ops::Range<usize>| -> String {
        range
            .map(|r| {
                let values: Vec<String> = full.raw_vector(r).iter().map(|v| v.to_string()).collect();
                format!("{} {}\n", full.word(r), values.join(" "))
            })
            .collect()
    };
    std::fs::write(&small, text_of(0..3000)).unwrap();
    let small_path = small.to_str().unwrap();
    let run = || {
        crate::support::vecspace(&[
            "--space",
            small_path,
            "--index",
            "hnsw",
            "--json",
            "query",
            "king - man + woman",
            "-k",
            "3",
        ])
    };
    let first = run();
    assert!(first.stderr.contains("saved the index"), "{}", first.stderr);
    assert!(dir.path().join("small.hnsw").exists());
    let second = run();
    assert!(!second.stderr.contains("saved the index"), "{}", second.stderr);
    assert_eq!(first.json()["results"], second.json()["results"]);
    let exact =
        crate::support::vecspace(&["--space", small_path, "--json", "query", "king - man + woman", "-k", "3"]).json();
    assert_eq!(exact["results"][0]["word"], "queen");
    let err =
        crate::support::vecspace(&["--space", small_path, "--index", "hnsw", "--ef", "0", "query", "king"]).fails();
    assert!(err.contains("--ef"), "{err}");

    // The file grows by 2 000 words: the saved index gains just those rows, and finds among them
    // what the exact scan finds (words from the new rows among the answers), then is kept as is.
    std::fs::write(&small, text_of(0..5000)).unwrap();
    let neighbours = |word: &str, index: &[&str]| {
        let mut args = vec!["--space", small_path, "--json"];
        args.extend_from_slice(index);
        args.extend_from_slice(&["similar", word, "-k", "10"]);
        crate::support::vecspace(&args)
    };
    let grown = neighbours("music", &["--index", "hnsw"]);
    assert!(grown.stderr.contains("added 2000 new rows to the index"), "{}", grown.stderr);
    let exact = neighbours("music", &[]).json();
    assert_eq!(grown.json()["results"], exact["results"]);
    let new_rows = exact["results"].as_array().unwrap().iter().filter(|hit| {
        let word = hit["word"].as_str().unwrap();
        (3000..5000).any(|r| full.word(r) == word)
    });
    assert!(new_rows.count() > 0, "{}", exact["results"]);
    let again = neighbours("music", &["--index", "hnsw"]);
    assert!(!again.stderr.contains("added") && !again.stderr.contains("saved"), "{}", again.stderr);
    assert_eq!(again.json()["results"], exact["results"]);
}

//! How the costs grow with the number of rows: synthetic 300-dimensional spaces of 100 000,
//! 1 000 000 and 3 000 000 rows (word2vec GoogleNews is 3M × 300), written once as native files
//! and memory-mapped.
//!
//! The first 400 000 rows are GloVe 6B 50d's words, their vectors mapped into 300 dimensions by a
//! fixed random Gaussian matrix (which keeps cosines up to a small distortion) plus noise in every
//! dimension; the other rows are random vectors with GloVe-like lengths. So the Google analogies
//! still mean something at every size, and the extra rows compete as answers.
//!
//! Per size: open time, one exact query, the int8 copy (build, memory, query, recall@10), an HNSW
//! graph up to `--hnsw-max` rows (build, query, recall@10), and the Google analogies with gensim's
//! default 300 000 candidates and with every row a candidate (exact). Memory is the process's
//! peak RSS.
//!
//! `cargo run --release -p vecspace --example growth -- DIR [--sizes 100000,1000000,3000000] [--hnsw-max 1000000] [--write-only]`
//!
//! `--write-only` writes the spaces and measures nothing (for `bench/hnsw_anchor.sh` and
//! `bench/remote_study.sh`, which take a space file).

use std::path::{Path, PathBuf};
use std::time::Instant;

use rayon::prelude::*;
use vecspace::eval::{AnalogyOptions, evaluate_analogies, sets};
use vecspace::prelude::*;
use vecspace::random::SplitMix64;
use vecspace::search::hnsw::{Hnsw, HnswParams};
use vecspace::search::{Int8, Scoring, SearchEngine};

const DIMS: usize = 300;
const GLOVE_DIMS: usize = 50;
/// Noise per dimension relative to the mapped vector's per-dimension spread.
const NOISE: f64 = 0.3;

fn gaussian(rng: &mut SplitMix64) -> f64 {
    // Box–Muller.
    let u = rng.next_f64().max(f64::MIN_POSITIVE);
    let v = rng.next_f64();
    (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
}

/// Writes the synthetic space of `rows` rows to `path` (once).
fn generate(glove: &Space, rows: usize, path: &Path) -> Result<(), Box<dyn std::error::Error>> {
    if path.exists() {
        return Ok(());
    }
    let started = Instant::now();
    let mut rng = SplitMix64(7);
    // Entries N(0, 1/300): a GloVe vector's length is kept in expectation.
    let map: Vec<f64> = (0..DIMS * GLOVE_DIMS).map(|_| gaussian(&mut rng) / (DIMS as f64).sqrt()).collect();
    let lengths: Vec<f32> = glove.rows().norms.to_vec();
    let mut data = vec![0.0f32; rows * DIMS];
    data.par_chunks_mut(DIMS).enumerate().for_each(|(row, out)| {
        let mut rng = SplitMix64(0x5eed ^ (row as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15));
        if row < glove.len() {
            let g = glove.raw_vector(row);
            let spread = f64::from(lengths[row]) / (DIMS as f64).sqrt();
            for (d, value) in out.iter_mut().enumerate() {
                let mapped: f64 = (0..GLOVE_DIMS).map(|j| map[d * GLOVE_DIMS + j] * f64::from(g[j])).sum();
                *value = (mapped + NOISE * spread * gaussian(&mut rng)) as f32;
            }
        } else {
            let length = f64::from(lengths[(rng.next_u64() % lengths.len() as u64) as usize]);
            let raw: Vec<f64> = (0..DIMS).map(|_| gaussian(&mut rng)).collect();
            let norm = raw.iter().map(|x| x * x).sum::<f64>().sqrt();
            out.iter_mut().zip(&raw).for_each(|(value, x)| *value = (x / norm * length) as f32);
        }
    });
    let words: Vec<String> = (0..rows)
        .map(|row| if row < glove.len() { glove.word(row).to_owned() } else { format!("synthetic_{row}") })
        .collect();
    let space = Space::from_rows(words, data, DIMS)?;
    vecspace::formats::write(&space, path, vecspace::formats::Format::Native)?;
    println!("generated {} rows in {:.1} s", rows, started.elapsed().as_secs_f64());
    Ok(())
}

/// Peak resident memory of this process so far, in MiB.
fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kib: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0.0);
    kib / 1024.0
}

/// Median seconds of `runs` calls after one warm-up.
fn median_seconds(runs: usize, mut f: impl FnMut()) -> f64 {
    f();
    let mut times: Vec<f64> = (0..runs)
        .map(|_| {
            let started = Instant::now();
            f();
            started.elapsed().as_secs_f64()
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[runs / 2]
}

fn recall(space: &Space, engine: &dyn SearchEngine, queries: &[usize]) -> f64 {
    let rows = space.rows();
    let mut found = 0;
    for &q in queries {
        let query = space.unit_vector(q);
        let truth: Vec<usize> = space.nearest(&query, 10, &[q]).unwrap().iter().map(|s| s.row).collect();
        let got = engine.nearest(rows, &query, 10, Scoring::default(), &[q]).unwrap();
        found += got.iter().filter(|g| truth.contains(&g.row)).count();
    }
    found as f64 / (10 * queries.len()) as f64
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dir = PathBuf::from(args.first().ok_or("usage: growth DIR [--sizes A,B,C] [--hnsw-max N] [--write-only]")?);
    let option = |name: &str| args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned();
    let sizes: Vec<usize> = option("--sizes")
        .unwrap_or_else(|| "100000,1000000,3000000".into())
        .split(',')
        .map(|s| s.parse())
        .collect::<Result<_, _>>()?;
    let hnsw_max: usize = option("--hnsw-max").map_or(Ok(1_000_000), |s| s.parse())?;
    let write_only = args.iter().any(|a| a == "--write-only");
    std::fs::create_dir_all(&dir)?;

    let glove = Space::open_named("glove-6b-50d")?;
    let cache = vecspace::fetch::Cache::from_env()?;
    let google = vecspace::fetch::ensure("google-analogies", &cache, &vecspace::progress::Silent)?;
    let set = sets::read_google(&std::fs::read_to_string(google)?)?;
    let silent = &vecspace::progress::Silent;
    println!("threads: {}", rayon::current_num_threads());
    for &rows in &sizes {
        let path = dir.join(format!("synthetic-{rows}x{DIMS}.vsp"));
        generate(&glove, rows, &path)?;
        if write_only {
            println!("{}", path.display());
            continue;
        }
        let size = std::fs::metadata(&path)?.len() as f64 / (1u64 << 30) as f64;
        let started = Instant::now();
        let space = Space::open(&path)?;
        let open = started.elapsed().as_secs_f64();
        let expression = "king - man + woman";
        let options = QueryOptions::default().top(10);
        let first = Instant::now();
        let answer = space.query(expression, &options)?;
        let first = first.elapsed().as_secs_f64();
        let exact = median_seconds(5, || drop(space.query(expression, &options).unwrap()));
        println!(
            "\n## {rows} × {DIMS} ({size:.2} GiB file)\nopen {:.1} ms; exact query {:.1} ms (first, with page faults {:.1} ms) → {}",
            open * 1e3,
            exact * 1e3,
            first * 1e3,
            answer.results.iter().take(3).map(|s| s.word.as_str()).collect::<Vec<_>>().join(", ")
        );
        let queries: Vec<usize> = (0..100).map(|i| (i * 7919) % rows.min(100_000)).collect();

        let started = Instant::now();
        let int8 = Int8::build(space.rows());
        let build = started.elapsed().as_secs_f64();
        let query = space.evaluate(expression, true)?.1.into_vector().ok_or("a vector")?;
        let rows_ref = space.rows();
        let int8_query =
            median_seconds(5, || drop(int8.nearest(rows_ref, &query, 10, Scoring::default(), &[]).unwrap()));
        println!(
            "int8: build {build:.1} s, {:.0} MiB, query {:.1} ms, recall@10 {:.3}",
            int8.extra_bytes() as f64 / (1 << 20) as f64,
            int8_query * 1e3,
            recall(&space, &int8, &queries)
        );
        if rows <= hnsw_max {
            let started = Instant::now();
            let hnsw = Hnsw::build(space.rows(), HnswParams::default(), &vecspace::progress::Silent);
            let build = started.elapsed().as_secs_f64();
            let hnsw_query =
                median_seconds(21, || drop(hnsw.nearest(rows_ref, &query, 10, Scoring::default(), &[]).unwrap()));
            println!(
                "hnsw: build {build:.0} s, {:.0} MiB, query {:.2} ms, recall@10 {:.3}",
                hnsw.extra_bytes() as f64 / (1 << 20) as f64,
                hnsw_query * 1e3,
                recall(&space, &hnsw, &queries)
            );
        }
        let mut candidates = vec![300_000.min(rows), rows];
        candidates.dedup();
        for restrict in candidates {
            let options = AnalogyOptions { restrict_vocab: restrict, ..AnalogyOptions::default() };
            let started = Instant::now();
            let report = evaluate_analogies(&space, &set, &options, silent)?;
            println!(
                "google analogies, {restrict} candidates: {:.2} % of {} in {:.1} s (exact)",
                report.accuracy() * 100.0,
                report.total,
                started.elapsed().as_secs_f64()
            );
        }
        println!("peak RSS so far {:.0} MiB", peak_rss_mib());
    }
    Ok(())
}

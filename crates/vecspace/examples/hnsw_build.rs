//! The HNSW index against faiss `IndexHNSWFlat` on the same rows, the same held-out queries and
//! the same parameters (M 16, ef_construction 100): build time, then recall@10 against the exact
//! scan and time per query over the search beam `ef`. With `--export DIR` it writes what
//! `bench/hnsw_faiss.py` needs to measure faiss in the same run: the unit rows, the queries,
//! their exclusions and the exact top 10. With `--grow-from N` it also builds a graph over the
//! first N rows and inserts the rest into it ([`Hnsw::extend`], a space that grew), and measures
//! that graph the same way. `--precision single,half` builds one graph for each precision of the
//! build's row copy ([`BuildPrecision`]), one after the other (default `auto`).
//!
//! ```text
//! cargo run --release -p vecspace --example hnsw_build -- [--space NAME|FILE] [--queries 1000] [--export DIR] \
//!     [--grow-from N] [--precision auto|single|half,…]
//! ```
//!
//! `bench/hnsw_anchor.sh` runs both.

use std::time::Instant;

use vecspace::prelude::*;
use vecspace::search::hnsw::{BuildPrecision, Hnsw, HnswParams};
use vecspace::search::{Exact, Neighbor, Scoring, SearchEngine};

#[path = "common/held_out.rs"]
mod held_out;

use held_out::{Failure, Query, analogy_queries};

fn main() -> Result<(), Failure> {
    let mut space_name = "glove-6b-50d".to_owned();
    let mut wanted = 1000;
    let mut export = None;
    let mut grow_from = None;
    let mut precisions = vec![BuildPrecision::Auto];
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--space" => space_name = value,
            "--queries" => wanted = value.parse()?,
            "--export" => export = Some(std::path::PathBuf::from(value)),
            "--grow-from" => grow_from = Some(value.parse::<usize>()?),
            "--precision" => {
                precisions = value
                    .split(',')
                    .map(|p| match p {
                        "auto" => Ok(BuildPrecision::Auto),
                        "single" => Ok(BuildPrecision::Single),
                        "half" => Ok(BuildPrecision::Half),
                        other => Err(format!("unknown precision {other} (auto, single, half)")),
                    })
                    .collect::<Result<_, _>>()?;
            }
            other => return Err(format!("unknown option {other}").into()),
        }
    }
    let space = Space::open_named(&space_name).or_else(|_| Space::open(&space_name))?;
    let rows = space.rows();
    let queries = analogy_queries(&space, wanted)?;
    let truth: Vec<Vec<Neighbor>> = queries
        .iter()
        .map(|(q, exclude)| Exact.nearest(rows, q, 10, Scoring::default(), exclude))
        .collect::<Result<_, _>>()?;
    if let Some(dir) = &export {
        std::fs::create_dir_all(dir)?;
        let units: Vec<f32> = (0..space.len()).flat_map(|row| space.unit_vector(row)).collect();
        vecspace::formats::npy::write_matrix(&dir.join("rows.npy"), space.len(), space.dims(), &units)?;
        let flat: Vec<f32> = queries.iter().flat_map(|(q, _)| q.iter().copied()).collect();
        vecspace::formats::npy::write_matrix(&dir.join("queries.npy"), queries.len(), space.dims(), &flat)?;
        // Row numbers are exact in f32 below 2^24.
        let exclusions: Vec<f32> =
            queries.iter().flat_map(|(_, e)| (0..3).map(|i| e.get(i).map_or(-1.0, |&r| r as f32))).collect();
        vecspace::formats::npy::write_matrix(&dir.join("exclude.npy"), queries.len(), 3, &exclusions)?;
        let top: Vec<f32> = truth.iter().flat_map(|t| t.iter().map(|n| n.row as f32)).collect();
        vecspace::formats::npy::write_matrix(&dir.join("truth.npy"), queries.len(), 10, &top)?;
    }
    println!(
        "{space_name}: {} rows × {} dims, {} held-out analogy queries, {} threads",
        space.len(),
        space.dims(),
        queries.len(),
        rayon::current_num_threads()
    );
    for precision in precisions {
        let started = Instant::now();
        let params = HnswParams { precision, ..HnswParams::default() };
        let mut index = Hnsw::build(rows, params, &vecspace::progress::Silent);
        println!(
            "vecspace HNSW build (M 16, ef_construction 100, {precision:?} precision): {:.1} s",
            started.elapsed().as_secs_f64()
        );
        recall_curve(&mut index, rows, &queries, &truth)?;
    }
    if let Some(first) = grow_from {
        let first = first.min(space.len());
        let started = Instant::now();
        let small = Hnsw::build(rows.prefix(first), HnswParams::default(), &vecspace::progress::Silent);
        let built = started.elapsed().as_secs_f64();
        let started = Instant::now();
        let mut grown = small.extend(rows, HnswParams::default(), &vecspace::progress::Silent)?;
        println!(
            "\nvecspace HNSW over the first {first} rows: {built:.1} s; the other {} inserted into it: {:.1} s",
            space.len() - first,
            started.elapsed().as_secs_f64()
        );
        recall_curve(&mut grown, rows, &queries, &truth)?;
    }
    Ok(())
}

/// Recall@10 against `truth` and the time per query on one thread, over the search beam.
fn recall_curve(
    index: &mut Hnsw,
    rows: vecspace::search::Rows<'_>,
    queries: &[Query],
    truth: &[Vec<Neighbor>],
) -> Result<(), Failure> {
    println!("| ef | recall@10 | ms per query (1 thread) |\n|---|---|---|");
    let single = rayon::ThreadPoolBuilder::new().num_threads(1).build()?;
    for ef in [16, 32, 64, 128, 256] {
        index.ef = ef;
        let (found, seconds) = single.install(|| {
            let started = Instant::now();
            let mut found = 0;
            for ((query, exclude), expected) in queries.iter().zip(truth) {
                let got = index.nearest(rows, query, 10, Scoring::default(), exclude).expect("a local search");
                found += got.iter().filter(|g| expected.iter().any(|e| e.row == g.row)).count();
            }
            (found, started.elapsed().as_secs_f64())
        });
        let total: usize = truth.iter().map(Vec::len).sum();
        println!("| {ef} | {:.4} | {:.3} |", found as f64 / total as f64, seconds * 1e3 / queries.len() as f64);
    }
    Ok(())
}

//! The HNSW index on GloVe 6B 50d: build time, then recall@10 against the exact scan and time per
//! query over the search beam `ef` (1000 queries: words of the first 100 000, each excluded from
//! its own answer).
//!
//! `cargo run --release -p vecspace --example hnsw_curve`

use std::time::Instant;

use vecspace::prelude::*;
use vecspace::search::hnsw::{Hnsw, HnswParams};
use vecspace::search::{Scoring, SearchEngine};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let space = Space::open_named("glove-6b-50d")?;
    let rows = space.rows();
    let started = Instant::now();
    let mut index = Hnsw::build(rows, HnswParams::default(), &vecspace::progress::Silent);
    println!("build: {:.1} s on {} threads", started.elapsed().as_secs_f64(), rayon::current_num_threads());
    let queries: Vec<usize> = (0..1000).map(|i| i * 97 % 100_000).collect();
    let truth: Vec<Vec<usize>> = queries
        .iter()
        .map(|&q| Ok(space.nearest(&space.unit_vector(q), 10, &[q])?.iter().map(|s| s.row).collect()))
        .collect::<Result<_, vecspace::Error>>()?;
    println!("| ef | recall@10 | ms per query (1 thread) |");
    println!("|---|---|---|");
    let single = rayon::ThreadPoolBuilder::new().num_threads(1).build()?;
    for ef in [16, 32, 64, 128, 256] {
        index.ef = ef;
        let (found, seconds) = single.install(|| {
            let started = Instant::now();
            let mut found = 0;
            for (i, &q) in queries.iter().enumerate() {
                let got = index.nearest(rows, &space.unit_vector(q), 10, Scoring::default(), &[q]).unwrap();
                found += got.iter().filter(|g| truth[i].contains(&g.row)).count();
            }
            (found, started.elapsed().as_secs_f64())
        });
        println!("| {ef} | {:.4} | {:.3} |", found as f64 / 10_000.0, seconds * 1000.0 / queries.len() as f64);
    }
    Ok(())
}

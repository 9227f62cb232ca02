//! GloVe 6B 50d searched by a database server next to the local engines: push throughput, the
//! latency of one top-10 query (one thread; median and 99th percentile over 500 queries, each a
//! word's own vector with the word excluded), and queries per second from two threads.
//!
//! Milvus seals the pushed segments and builds their FLAT index some seconds after the push; the
//! optional third argument waits that many seconds before measuring (20 is enough here).
//!
//! ```text
//! cargo run --release -p vecspace --example remote_bench -- pgvector postgres://postgres:PW@127.0.0.1:55432/postgres
//! tests/remote/milvus.sh run target/release/examples/remote_bench milvus http://root:Milvus@127.0.0.1:19530 20
//! ```

use std::time::Instant;

use rayon::prelude::*;
use vecspace::prelude::*;
use vecspace::remote::{Backend, PushOptions, Target};
use vecspace::search::{Int8, Scoring, SearchEngine};

fn measure(name: &str, space: &Space, engine: &dyn SearchEngine, queries: &[usize]) {
    let rows = space.rows();
    let vectors: Vec<Vec<f32>> = queries.iter().map(|&q| space.unit_vector(q)).collect();
    let ask = |i: usize| engine.nearest(rows, &vectors[i], 10, Scoring::default(), &[queries[i]]).expect("search");
    let single = rayon::ThreadPoolBuilder::new().num_threads(1).build().expect("pool");
    ask(0);
    let mut latencies: Vec<f64> = single.install(|| {
        (0..queries.len())
            .map(|i| {
                let started = Instant::now();
                ask(i);
                started.elapsed().as_secs_f64() * 1e3
            })
            .collect()
    });
    latencies.sort_by(f64::total_cmp);
    let percentile = |p: f64| latencies[((latencies.len() - 1) as f64 * p).round() as usize];
    let started = Instant::now();
    (0..queries.len()).into_par_iter().for_each(|i| drop(ask(i)));
    let per_second = queries.len() as f64 / started.elapsed().as_secs_f64();
    println!("| {name} | {:.2} | {:.2} | {per_second:.0} |", percentile(0.5), percentile(0.99));
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (backend, uri, settle) = match args.as_slice() {
        [backend, uri] => (backend, uri, 0),
        [backend, uri, settle] => (backend, uri, settle.parse()?),
        _ => return Err("usage: remote_bench pgvector|milvus URI [SETTLE_SECONDS]".into()),
    };
    let backend: Backend = backend.parse()?;
    let space = Space::open_named("glove-6b-50d")?;
    let target = Target { backend, uri: uri.clone(), collection: "vecspace_bench".into() };
    let started = Instant::now();
    let report = vecspace::remote::push(
        &target,
        &space,
        &PushOptions { replace: true, ..PushOptions::default() },
        &vecspace::progress::Silent,
    )?;
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "push to {backend}: {} rows in {seconds:.1} s = {:.0} rows/s (batches of {})",
        report.sent,
        report.sent as f64 / seconds,
        PushOptions::default().batch
    );
    std::thread::sleep(std::time::Duration::from_secs(settle));
    let remote = vecspace::remote::connect(&target, &space)?;
    let queries: Vec<usize> = (0..500).map(|i| i * 797 % 100_000).collect();
    println!("\n| engine | p50 ms | p99 ms | queries/s (2 threads) |\n|---|---|---|---|");
    measure("exact (local)", &space, &vecspace::search::Exact, &queries);
    measure("int8 (local)", &space, &Int8::build(space.rows()), &queries);
    let cache = vecspace::fetch::Cache::from_env()?;
    let graph = vecspace::formats::hnsw::path_beside(&cache.space_path("glove-6b-50d"));
    if graph.exists() {
        measure("hnsw ef 64 (local)", &space, &vecspace::formats::hnsw::open(&graph, &space)?, &queries);
    }
    measure(&format!("{backend} (exact, loopback)"), &space, remote.as_ref(), &queries);
    Ok(())
}

//! Neighbour search through database servers next to the local engines, in one run: for each
//! engine, the index build time, recall@10 against the exact scan, latency (p50, p99) with one
//! client, and queries per second with 1 and 8 concurrent clients.
//!
//! The queries are held out of the space: analogy vectors b − a + c (unit rows) from the Google
//! analogies, spread evenly over the set, with a, b and c excluded — vectors that are no row of
//! the index, as in the analogy workload. Every remote answer is re-scored on the local rows, so
//! only recall can fall short of the exact scan; the run checks that the scores it returns are the
//! exact ones.
//!
//! ```text
//! cargo run --release -p vecspace --example remote_bench -- [--space NAME|FILE] [--queries 1000] \
//!     [--local exact,int8,hnsw] [--indexes flat,hnsw,ivf] [--pgvector URI] [--milvus URI] \
//!     [--exact-queries N]
//! ```
//!
//! `--exact-queries N` times the exact engines (local exact, a server's flat index or sequential
//! scan) on N of the queries, spread evenly: their recall is 1 by construction (and checked), and
//! on a million long rows a server's scan of 1 000 queries would take most of an hour.
//!
//! `bench/remote_study.sh` starts both servers in one network namespace and runs this there.

use std::time::Instant;

use rayon::prelude::*;
use vecspace::prelude::*;
use vecspace::remote::{Backend, IndexKind, PushOptions, SearchParams, ServerIndex, Target};
use vecspace::search::hnsw::{Hnsw, HnswParams};
use vecspace::search::{Int8, Neighbor, Scoring, SearchEngine};

#[path = "common/held_out.rs"]
mod held_out;

use held_out::{Failure, Query, analogy_queries};

struct Options {
    space: String,
    queries: usize,
    /// How many of the queries the exact engines are timed on (`None`: all).
    exact_queries: Option<usize>,
    local: Vec<String>,
    indexes: Vec<IndexKind>,
    servers: Vec<(Backend, String)>,
    /// Search beams and cell counts to measure each index at (`None`: the default).
    efs: Vec<usize>,
    nprobes: Vec<Option<usize>>,
    /// Also run the Google analogies (3CosAdd, 300 000 candidates) through each server, batched
    /// and one search per request.
    analogies: bool,
}

fn parse_options() -> Result<Options, Failure> {
    let mut options = Options {
        space: "glove-6b-50d".into(),
        queries: 1000,
        exact_queries: None,
        local: vec!["exact".into(), "int8".into(), "hnsw".into()],
        indexes: vec![IndexKind::Flat, IndexKind::Hnsw, IndexKind::Ivf],
        servers: Vec::new(),
        efs: vec![vecspace::search::hnsw::DEFAULT_EF],
        nprobes: vec![None],
        analogies: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        if flag == "--analogies" {
            options.analogies = true;
            continue;
        }
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--space" => options.space = value,
            "--queries" => options.queries = value.parse()?,
            "--exact-queries" => options.exact_queries = Some(value.parse()?),
            "--local" => options.local = value.split(',').filter(|s| !s.is_empty()).map(str::to_owned).collect(),
            "--indexes" => options.indexes = value.split(',').map(str::parse).collect::<Result<_, _>>()?,
            "--pgvector" => options.servers.push((Backend::Pgvector, value)),
            "--milvus" => options.servers.push((Backend::Milvus, value)),
            "--ef" => options.efs = value.split(',').map(str::parse).collect::<Result<_, _>>()?,
            "--nprobe" => {
                options.nprobes = value.split(',').map(|v| v.parse().map(Some)).collect::<Result<_, _>>()?;
            }
            other => return Err(format!("unknown option {other}").into()),
        }
    }
    Ok(options)
}

struct Measured {
    recall: f64,
    p50_ms: f64,
    p99_ms: f64,
    qps_1: f64,
    qps_8: f64,
}

fn measure(
    space: &Space,
    engine: &dyn SearchEngine,
    queries: &[Query],
    truth: &[Vec<Neighbor>],
) -> Result<Measured, Failure> {
    let rows = space.rows();
    let ask = |i: usize| engine.nearest(rows, &queries[i].0, 10, Scoring::default(), &queries[i].1);
    ask(0)?;
    let mut latencies = Vec::with_capacity(queries.len());
    let mut found = 0usize;
    let started = Instant::now();
    for (i, expected) in truth.iter().enumerate() {
        let asked = Instant::now();
        let answer = ask(i)?;
        latencies.push(asked.elapsed().as_secs_f64() * 1e3);
        found += answer.iter().filter(|n| expected.iter().any(|e| e.row == n.row)).count();
        // Whatever is returned carries the exact scan's score for that row.
        for n in &answer {
            if let Some(e) = expected.iter().find(|e| e.row == n.row) {
                assert_eq!(e.score, n.score, "row {} scored differently", n.row);
            }
        }
    }
    let qps_1 = queries.len() as f64 / started.elapsed().as_secs_f64();
    latencies.sort_by(f64::total_cmp);
    let percentile = |p: f64| latencies[((latencies.len() - 1) as f64 * p).round() as usize];
    let eight = rayon::ThreadPoolBuilder::new().num_threads(8).build()?;
    let started = Instant::now();
    eight.install(|| (0..queries.len()).into_par_iter().try_for_each(|i| ask(i).map(drop)))?;
    let qps_8 = queries.len() as f64 / started.elapsed().as_secs_f64();
    let recall = found as f64 / truth.iter().map(Vec::len).sum::<usize>().max(1) as f64;
    Ok(Measured { recall, p50_ms: percentile(0.5), p99_ms: percentile(0.99), qps_1, qps_8 })
}

/// An engine's searches one request each: [`SearchEngine::nearest_batch_below`] left to its
/// default, which asks for every query on its own.
#[derive(Debug)]
struct OnePerRequest<'e>(&'e dyn SearchEngine);

impl SearchEngine for OnePerRequest<'_> {
    fn name(&self) -> &'static str {
        self.0.name()
    }
    fn is_exact(&self) -> bool {
        self.0.is_exact()
    }
    fn extra_bytes(&self) -> usize {
        0
    }
    fn nearest(
        &self,
        rows: vecspace::search::Rows<'_>,
        query: &[f32],
        k: usize,
        scoring: Scoring,
        exclude: &[usize],
    ) -> vecspace::Result<Vec<Neighbor>> {
        self.0.nearest(rows, query, k, scoring, exclude)
    }
    fn nearest_below(
        &self,
        rows: vecspace::search::Rows<'_>,
        limit: usize,
        query: &[f32],
        k: usize,
        scoring: Scoring,
        exclude: &[usize],
    ) -> vecspace::Result<Vec<Neighbor>> {
        self.0.nearest_below(rows, limit, query, k, scoring, exclude)
    }
}

/// A batched benchmark slower than this is not run again one search per request.
const SLOW_BENCHMARK_SECONDS: f64 = 120.0;

/// The Google analogies through `engine`: accuracy and seconds.
fn analogies(space: &Space, engine: &dyn SearchEngine) -> Result<(f64, f64), Failure> {
    let cache = vecspace::fetch::Cache::from_env()?;
    let path = vecspace::fetch::ensure("google-analogies", &cache, &vecspace::progress::Silent)?;
    let set = vecspace::eval::sets::read_google(&std::fs::read_to_string(path)?)?;
    let options = vecspace::eval::AnalogyOptions::default();
    let started = Instant::now();
    let report =
        vecspace::eval::evaluate_analogies_with_engine(space, &set, &options, engine, &vecspace::progress::Silent)?;
    Ok((report.accuracy(), started.elapsed().as_secs_f64()))
}

fn row(name: &str, build: &str, m: &Measured) {
    println!(
        "| {name} | {build} | {:.3} | {:.2} | {:.2} | {:.0} | {:.0} |",
        m.recall, m.p50_ms, m.p99_ms, m.qps_1, m.qps_8
    );
}

fn main() -> Result<(), Failure> {
    let options = parse_options()?;
    let space = Space::open_named(&options.space).or_else(|_| Space::open(&options.space))?;
    let queries = analogy_queries(&space, options.queries)?;
    let truth: Vec<Vec<Neighbor>> = queries
        .iter()
        .map(|(q, exclude)| vecspace::search::Exact.nearest(space.rows(), q, 10, Scoring::default(), exclude))
        .collect::<Result<_, _>>()?;
    // Every `step`-th query for the exact engines.
    let step = options.exact_queries.map_or(1, |wanted| (queries.len() / wanted.max(1)).max(1));
    let exact_queries: Vec<Query> = queries.iter().step_by(step).cloned().collect();
    let exact_truth: Vec<Vec<Neighbor>> = truth.iter().step_by(step).cloned().collect();
    let pick = |engine: &dyn SearchEngine| {
        if engine.is_exact() { (&exact_queries[..], &exact_truth[..]) } else { (&queries[..], &truth[..]) }
    };
    println!(
        "{}: {} rows × {} dims; {} held-out analogy queries ({} for the exact engines), top 10; {} threads\n",
        options.space,
        space.len(),
        space.dims(),
        queries.len(),
        exact_queries.len(),
        rayon::current_num_threads()
    );
    println!("| engine | index build | recall@10 | p50 ms | p99 ms | queries/s, 1 client | queries/s, 8 clients |");
    println!("|---|---|---|---|---|---|---|");
    for local in &options.local {
        let started = Instant::now();
        let engine: Box<dyn SearchEngine> = match local.as_str() {
            "exact" => Box::new(vecspace::search::Exact),
            "int8" => Box::new(Int8::build(space.rows())),
            "hnsw" => Box::new(Hnsw::build(space.rows(), HnswParams::default(), &vecspace::progress::Silent)),
            other => return Err(format!("unknown local engine {other}").into()),
        };
        let build =
            if local == "exact" { "—".to_owned() } else { format!("{:.1} s", started.elapsed().as_secs_f64()) };
        let (queries, truth) = pick(engine.as_ref());
        row(&format!("local {}", engine.describe()), &build, &measure(&space, engine.as_ref(), queries, truth)?);
    }
    let label = vecspace::app::spaces::space_label(&options.space);
    let mut analogy_rows = Vec::new();
    for (backend, uri) in &options.servers {
        let target = Target::new(*backend, uri.clone(), &format!("bench-{label}"));
        for &kind in &options.indexes {
            let index = ServerIndex::new(kind, None, None, None, space.len())?;
            let push = PushOptions { index: Some(index), ..PushOptions::default() };
            let report = vecspace::remote::push(&target, &space, &push, &vecspace::progress::Silent)?;
            let build = match report.index_seconds {
                _ if kind == IndexKind::Flat => "—".to_owned(),
                Some(seconds) => format!("{seconds:.1} s"),
                None => "built before".to_owned(),
            };
            let settings: Vec<SearchParams> = match kind {
                IndexKind::Flat => vec![SearchParams::default()],
                IndexKind::Hnsw => options.efs.iter().map(|&ef| SearchParams { ef, nprobe: None }).collect(),
                _ => options.nprobes.iter().map(|&nprobe| SearchParams { nprobe, ..SearchParams::default() }).collect(),
            };
            for params in settings {
                // Connections for 8 concurrent clients.
                let eight = rayon::ThreadPoolBuilder::new().num_threads(8).build()?;
                let engine = eight.install(|| vecspace::remote::connect(&target, &space, &params))?;
                let (queries, truth) = pick(engine.as_ref());
                let measured = measure(&space, engine.as_ref(), queries, truth)?;
                let described = engine.describe();
                let search = described.split_once(": ").map_or(described.as_str(), |(_, search)| search);
                let name = format!("{backend}: {search}");
                row(&name, &build, &measured);
                if options.analogies {
                    let (accuracy, batched) = analogies(&space, engine.as_ref())?;
                    // Where the server's own work dominates, one request per search changes little
                    // and would take as long again: measured only when the batch was quick.
                    let single = if batched < SLOW_BENCHMARK_SECONDS {
                        let (single_accuracy, single) = analogies(&space, &OnePerRequest(engine.as_ref()))?;
                        format!("{:.2} % | {single:.1} s | {:.1}×", 100.0 * single_accuracy, single / batched)
                    } else {
                        "— | not run | —".to_owned()
                    };
                    analogy_rows.push(format!("| {name} | {:.2} % | {batched:.1} s | {single} |", 100.0 * accuracy));
                }
            }
        }
    }
    if options.analogies {
        let (accuracy, seconds) = analogies(&space, &vecspace::search::Exact)?;
        println!(
            "\nGoogle analogies (3CosAdd, 300 000 candidates); local exact scan: {:.2} % in {seconds:.1} s\n",
            100.0 * accuracy
        );
        println!("| engine | accuracy, batched | time, batched | accuracy, one search per request | time | speed-up |");
        println!("|---|---|---|---|---|---|");
        for line in analogy_rows {
            println!("{line}");
        }
    }
    Ok(())
}

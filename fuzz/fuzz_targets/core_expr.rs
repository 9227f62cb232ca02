//! The expression language: `vecspace_core::expr::parse`, printing a parsed tree and parsing the
//! print again (which must give the same tree), then evaluation over the small word space of
//! `vecspace_fuzz` with `@directions`, as a query, and through a custom resolver.
#![no_main]

use std::collections::HashMap;

use libfuzzer_sys::fuzz_target;
use vecspace_core::expr::{evaluate, parse};
use vecspace_core::{Metric, QueryOptions};

fuzz_target!(|data: &[u8]| {
    let Ok(source) = std::str::from_utf8(data) else { return };
    let space = vecspace_fuzz::shared_space();
    let expr = match parse(source) {
        Ok(expr) => expr,
        Err(e) => {
            // Errors point into the source with a caret line.
            let _ = e.to_string();
            return;
        }
    };
    let printed = expr.to_string();
    let reparsed = parse(&printed).unwrap_or_else(|e| panic!("{source:?} printed as {printed:?}, which fails: {e}"));
    assert_eq!(reparsed, expr, "{source:?} printed as {printed:?} parses to another tree");
    let _ = expr.names();
    let directions: HashMap<String, Vec<f32>> = [
        ("gender".to_owned(), vecspace_fuzz::small_row(1).to_vec()),
        ("zero".to_owned(), vec![0.0; vecspace_fuzz::DIMS]),
        ("short".to_owned(), vec![1.0; 3]),
    ]
    .into_iter()
    .collect();
    for unit in [true, false] {
        let _ = space.evaluate_parsed(&expr, source, unit, &directions);
    }
    let _ = evaluate(&expr, &space.resolver(true));
    let _ = space.input_rows(&expr);
    for metric in [Metric::Cosine, Metric::Dot, Metric::Euclidean] {
        let options = QueryOptions::default().top(5).metric(metric);
        let _ = space.query_with(source, &options, &directions);
    }
    let _ = space.query_with(source, &QueryOptions::default().raw(true).include_inputs(true), &directions);
});

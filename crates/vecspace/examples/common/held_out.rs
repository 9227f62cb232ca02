//! Held-out queries for the search benchmarks: analogy vectors b − a + c (of unit rows) from the
//! Google analogies, spread evenly over the set, each with its rows a, b and c to exclude —
//! vectors that are no row of the index, as in the analogy workload.

use vecspace::prelude::*;

pub type Failure = Box<dyn std::error::Error>;

/// A query vector and the rows it excludes (sorted).
pub type Query = (Vec<f32>, Vec<usize>);

/// Up to `wanted` queries from the questions whose four words `space` holds.
pub fn analogy_queries(space: &Space, wanted: usize) -> Result<Vec<Query>, Failure> {
    let cache = vecspace::fetch::Cache::from_env()?;
    let path = vecspace::fetch::ensure("google-analogies", &cache, &vecspace::progress::Silent)?;
    let set = vecspace::eval::sets::read_google(&std::fs::read_to_string(path)?)?;
    let questions: Vec<[usize; 4]> = set
        .sections
        .iter()
        .flat_map(|section| section.questions.iter())
        .filter_map(|q| {
            let rows: Vec<usize> = q.words.iter().filter_map(|w| space.lookup(&w.to_lowercase()).ok()).collect();
            <[usize; 4]>::try_from(rows).ok()
        })
        .collect();
    let step = (questions.len() / wanted.max(1)).max(1);
    Ok(questions
        .iter()
        .step_by(step)
        .take(wanted)
        .map(|&[a, b, c, _]| {
            let (ua, ub, uc) = (space.unit_vector(a), space.unit_vector(b), space.unit_vector(c));
            let query = (0..ua.len()).map(|i| ub[i] - ua[i] + uc[i]).collect();
            let mut exclude = vec![a, b, c];
            exclude.sort_unstable();
            exclude.dedup();
            (query, exclude)
        })
        .collect())
}

//! How often an engine's candidates hold the full scan's 3CosMul and PairDirection answer: the
//! Google analogies on GloVe 6B 50d (first 100 000 words) answered by the full scan, and again
//! from the candidates an engine returns — here the exact scan itself, so every difference is the
//! candidate set's. A few disagreements are listed with each answer's cosines to a, b and c.
//!
//! `cargo run --release -p vecspace --example analogy_candidates`

use vecspace::eval::{AnalogyOptions, QuestionResult, evaluate_analogies, evaluate_analogies_with_engine, sets};
use vecspace::prelude::*;
use vecspace::search::ExactCandidates;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let space = Space::open_named("glove-6b-50d")?;
    let cache = vecspace::fetch::Cache::from_env()?;
    let path = vecspace::fetch::ensure("google-analogies", &cache, &vecspace::progress::Silent)?;
    let set = sets::read_google(&std::fs::read_to_string(path)?)?;
    let silent = &vecspace::progress::Silent;
    println!("| method | full scan | from candidates | same answer |");
    println!("|---|---|---|---|");
    let mut examples = Vec::new();
    for method in [AnalogyMethod::Mul, AnalogyMethod::Pair] {
        let options = AnalogyOptions { method, restrict_vocab: 100_000, ..AnalogyOptions::default() };
        let full = evaluate_analogies(&space, &set, &options, silent)?;
        let candidates = evaluate_analogies_with_engine(&space, &set, &options, &ExactCandidates, silent)?;
        let answer = |q: &QuestionResult| match q {
            QuestionResult::Answered { predicted, .. } => predicted.clone(),
            QuestionResult::Skipped => None,
        };
        let same = full.questions.iter().zip(&candidates.questions).filter(|(a, b)| answer(a) == answer(b)).count();
        let all: Vec<_> = set.sections.iter().flat_map(|s| s.questions.iter()).collect();
        let differing =
            full.questions.iter().zip(&candidates.questions).enumerate().filter(|(_, (a, b))| answer(a) != answer(b));
        for (i, (from_full, from_candidates)) in differing.take(5) {
            let words = &all[i].words;
            let cosines = |answer: &str| {
                words[..3]
                    .iter()
                    .map(|w| format!("{:+.2}", space.similarity(answer, &w.to_lowercase()).unwrap_or(f32::NAN)))
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            let (f, c) = (answer(from_full).unwrap_or_default(), answer(from_candidates).unwrap_or_default());
            examples.push(format!(
                "{method}, {}: full scan {f} ({}), candidates {c} ({})",
                words.join(" "),
                cosines(&f),
                cosines(&c)
            ));
        }
        println!(
            "| {method} | {:.2} % | {:.2} % | {:.2} % |",
            full.accuracy() * 100.0,
            candidates.accuracy() * 100.0,
            100.0 * same as f64 / full.questions.len() as f64
        );
    }
    println!("\nWhere they differ (cosines of the answer with a, b, c):");
    examples.iter().for_each(|line| println!("- {line}"));
    Ok(())
}

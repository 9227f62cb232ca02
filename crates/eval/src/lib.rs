//! Judging a word space: analogy benchmarks (Google, MSR) and word-similarity benchmarks
//! (WordSim-353, SimLex-999, MEN, RW, SimVerb-3500), with gensim 4.4's rules so that the numbers
//! are the ones researchers already compare against — to the question.
//!
//! The analogy evaluator answers all questions in one pass over the candidate rows. Every question
//! is built from three words, and a benchmark uses few distinct words (the Google set's 19 544
//! questions use 905), so it computes each candidate's cosine with every distinct word once per
//! block of rows — a small matrix product — and scores each question from three of those cosines.
//! That is exact (the same cosines, combined the same way) and does about a twentieth of the
//! arithmetic of multiplying every question's query vector with every row.
//!
//! ```
//! use vecspace_core::{AnalogyMethod, Space};
//! use vecspace_eval::{AnalogyOptions, sets, evaluate_analogies};
//!
//! let space = Space::from_rows(
//!     ["man", "king", "woman", "queen", "apple"].map(String::from).to_vec(),
//!     vec![1.0, 0.0, 0.1,  1.0, 1.0, 0.0,  0.0, 0.0, 1.0,  0.0, 1.0, 1.0,  0.3, -1.0, 0.2],
//!     3,
//! )?;
//! let set = sets::read_google(": royalty\nman king woman queen\nman king woman banana\n")?;
//! let report = evaluate_analogies(&space, &set, &AnalogyOptions::default(), &vecspace_core::progress::Silent)?;
//! assert_eq!((report.correct, report.total, report.skipped), (1, 1, 1));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod analogies;
mod error;
pub mod lexicon;
pub mod sets;
mod similarity;
pub use vecspace_core::stats;
mod vocab;
pub mod weat;

pub use analogies::{
    AnalogyOptions, AnalogyReport, Category, QuestionResult, SectionScore, evaluate_analogies,
    evaluate_analogies_reference, evaluate_analogies_with_engine,
};
pub use error::{Error, Result};
pub use similarity::{PairOptions, PairReport, evaluate_pairs};

#[cfg(test)]
mod tests;

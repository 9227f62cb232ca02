//! Word-similarity benchmarks, scored exactly as gensim 4.4's `evaluate_word_pairs`: the cosine of
//! each pair against the human rating, summarised by Pearson's r and Spearman's ρ, over the pairs
//! whose two words are among the first `restrict_vocab` words (case-insensitively by default, with
//! the same upper-casing rule as the analogy evaluation). The out-of-vocabulary ratio is the share
//! of pairs skipped, in percent.

use vecspace_core::{Space, cosine};

use crate::sets::PairSet;
use crate::stats::{pearson, spearman};
use crate::vocab::Candidates;
use crate::{Error, Result};

/// How to evaluate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PairOptions {
    pub restrict_vocab: usize,
    pub case_insensitive: bool,
}

impl Default for PairOptions {
    fn default() -> Self {
        PairOptions { restrict_vocab: 300_000, case_insensitive: true }
    }
}

/// The outcome of a word-similarity evaluation.
#[derive(Debug, Clone, PartialEq)]
pub struct PairReport {
    pub pearson: f64,
    pub spearman: f64,
    /// Pairs skipped because a word is outside the candidates, in percent of all valid pairs.
    pub oov_percent: f64,
    pub pairs_used: usize,
    pub pairs_skipped: usize,
    pub invalid_lines: usize,
    /// Every valid pair in file order with the model's cosine (`None` where skipped).
    pub similarities: Vec<Option<f32>>,
}

pub fn evaluate_pairs(space: &Space, set: &PairSet, options: &PairOptions) -> Result<PairReport> {
    if options.restrict_vocab == 0 {
        return Err(Error::ZeroRestriction);
    }
    let candidates = Candidates::new(space, options.restrict_vocab, options.case_insensitive);
    let similarities: Vec<Option<f32>> = set
        .pairs
        .iter()
        .map(|pair| {
            let a = candidates.row(&candidates.key(&pair.a))?;
            let b = candidates.row(&candidates.key(&pair.b))?;
            Some(cosine(space.raw_vector(a), space.raw_vector(b)))
        })
        .collect();
    let (gold, model): (Vec<f64>, Vec<f64>) = set
        .pairs
        .iter()
        .zip(&similarities)
        .filter_map(|(pair, similarity)| similarity.map(|s| (pair.score, f64::from(s))))
        .unzip();
    if gold.is_empty() {
        return Err(Error::NoPairsInVocabulary { restrict_vocab: candidates.limit() });
    }
    let skipped = set.pairs.len() - gold.len();
    Ok(PairReport {
        pearson: pearson(&gold, &model),
        spearman: spearman(&gold, &model),
        oov_percent: skipped as f64 / set.pairs.len() as f64 * 100.0,
        pairs_used: gold.len(),
        pairs_skipped: skipped,
        invalid_lines: set.invalid_lines.len(),
        similarities,
    })
}

//! gensim's `KeyedVectors` calls, with gensim's rules: how positive and negative inputs and their
//! weights combine, which inputs are left out of the answers, what is skipped and how evaluation
//! results are shaped. For front ends that speak gensim (the Python package), so that a notebook
//! written for gensim gets gensim's numbers; the scores themselves come from the engine as
//! everywhere else.
//!
//! Where gensim 4.4 has a slip, the rule kept here says so: `most_similar_cosmul` ignores
//! `restrict_vocab` in gensim and honours it here.

use super::evaluation::{self, Sources};
use super::{Error, Result};
use crate::eval::sets::{self, PairSet};
use crate::eval::{AnalogyOptions, QuestionResult, stats};
use crate::progress::Progress;
use crate::search::{Candidate, Metric, Scoring, TopK};
use crate::{AnalogyMethod, Scored, Space};

/// What a term of `most_similar` names: a word of the space, or a vector given as it is.
#[derive(Debug, Clone, PartialEq)]
pub enum Key {
    Word(String),
    Vector(Vec<f32>),
}

/// A term with the weight it was given, if any: gensim's `"king"` or `("king", 0.5)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Term {
    pub key: Key,
    pub weight: Option<f32>,
}

impl Term {
    pub fn word(word: impl Into<String>) -> Term {
        Term { key: Key::Word(word.into()), weight: None }
    }
}

/// The rows of the first `restrict_vocab` words; gensim reads 0 (or none) as every word.
fn limit(space: &Space, restrict_vocab: Option<usize>) -> usize {
    match restrict_vocab {
        Some(limit) if limit > 0 => limit.min(space.len()),
        _ => space.len(),
    }
}

/// gensim's `get_mean_vector(…, pre_normalize=True, post_normalize=True)` over the terms of
/// `most_similar`: words enter as unit vectors and vectors as given, each times its weight (by
/// default 1 for positive terms and −1 for negative ones; a weight given with a negative term is
/// kept as it is, as gensim does), the sum divided by the sum of the weights' magnitudes. Also
/// returns the rows of the words, which are not answers.
fn weighted_mean(space: &Space, positive: &[Term], negative: &[Term]) -> Result<(Vec<f32>, Vec<usize>)> {
    if positive.is_empty() && negative.is_empty() {
        return Err(Error::invalid("cannot compute similarity with no input: give positive or negative terms"));
    }
    let mut mean = vec![0.0f32; space.dims()];
    let mut total_weight = 0.0f32;
    let mut rows = Vec::new();
    let defaults = positive.iter().map(|t| (t, 1.0)).chain(negative.iter().map(|t| (t, -1.0)));
    for (term, default) in defaults {
        let weight = term.weight.unwrap_or(default);
        if !weight.is_finite() {
            return Err(Error::invalid(format!("the weight {weight} is not a finite number")));
        }
        let vector = resolve(space, &term.key, &mut rows)?;
        mean.iter_mut().zip(&vector).for_each(|(m, x)| *m += weight * x);
        total_weight += weight.abs();
    }
    if total_weight > 0.0 {
        mean.iter_mut().for_each(|m| *m /= total_weight);
    }
    rows.sort_unstable();
    rows.dedup();
    Ok((mean, rows))
}

/// A term's vector: a word's unit vector (its row noted in `rows`, as it is not an answer; a word
/// built from subwords has none), or a given vector as it is, checked.
fn resolve(space: &Space, key: &Key, rows: &mut Vec<usize>) -> Result<Vec<f32>> {
    match key {
        Key::Word(word) => {
            rows.extend(space.vocab().row(word));
            Ok(space.word_vector(word, true)?)
        }
        Key::Vector(vector) => {
            check_vector(space, vector)?;
            Ok(vector.clone())
        }
    }
}

fn check_vector(space: &Space, vector: &[f32]) -> Result<()> {
    if vector.len() != space.dims() {
        return Err(vecspace_core::Error::DimensionMismatch { expected: space.dims(), found: vector.len() }.into());
    }
    if vector.iter().any(|x| !x.is_finite()) {
        return Err(vecspace_core::Error::NonFiniteQuery.into());
    }
    Ok(())
}

/// gensim's `most_similar(positive, negative, topn, restrict_vocab)`: the `topn` words nearest the
/// weighted mean of the terms by cosine, among the first `restrict_vocab` words, never one of the
/// terms' own words. Answered through the space's engine.
pub fn most_similar(
    space: &Space,
    positive: &[Term],
    negative: &[Term],
    topn: usize,
    restrict_vocab: Option<usize>,
) -> Result<Vec<Scored>> {
    let (mean, exclude) = weighted_mean(space, positive, negative)?;
    if topn == 0 {
        return Ok(Vec::new());
    }
    Ok(space.nearest_below(&mean, limit(space, restrict_vocab), topn, Scoring::default(), &exclude)?)
}

/// gensim's `most_similar(…, topn=None)`: the cosine of every one of the first `restrict_vocab`
/// words with the terms' weighted mean, in row order.
pub fn similarities(
    space: &Space,
    positive: &[Term],
    negative: &[Term],
    restrict_vocab: Option<usize>,
) -> Result<Vec<f32>> {
    let (mean, _) = weighted_mean(space, positive, negative)?;
    space.check_query(&mean, Scoring::default())?;
    Ok(crate::search::all_scores(space.rows().prefix(limit(space, restrict_vocab)), &mean, Scoring::default()))
}

/// gensim's `most_similar_cosmul` score of every one of the first `restrict_vocab` words (Levy and
/// Goldberg's 3CosMul generalised to any number of terms): the product over positive terms of
/// `(1 + cos) / 2` divided by the product over negative terms plus 10⁻⁶. Words enter as unit
/// vectors, vectors as given (so a vector's length scales its term, as in gensim). Also returns
/// the rows of the words.
fn cosmul_scores(
    space: &Space,
    positive: &[Key],
    negative: &[Key],
    restrict_vocab: Option<usize>,
) -> Result<(Vec<f32>, Vec<usize>)> {
    if positive.is_empty() {
        return Err(Error::invalid("cannot compute similarity with no positive input"));
    }
    let rows = space.rows().prefix(limit(space, restrict_vocab));
    let mut words = Vec::new();
    // Each row's dot product with the term over the row's length.
    let mut shifted = |key: &Key| -> Result<Vec<f32>> {
        let term = resolve(space, key, &mut words)?;
        let scoring = Scoring { metric: Metric::Dot, unit_rows: true };
        Ok(crate::search::all_scores(rows, &term, scoring).into_iter().map(|cos| (1.0 + cos) / 2.0).collect())
    };
    let product = |terms: &[Key], shifted: &mut dyn FnMut(&Key) -> Result<Vec<f32>>| -> Result<Vec<f32>> {
        let mut product = vec![1.0f32; rows.len()];
        for key in terms {
            product.iter_mut().zip(shifted(key)?).for_each(|(p, s)| *p *= s);
        }
        Ok(product)
    };
    let numerator = product(positive, &mut shifted)?;
    let denominator = product(negative, &mut shifted)?;
    let scores =
        numerator.into_iter().zip(denominator).map(|(n, d)| n / (d + crate::analogy::COSMUL_EPSILON)).collect();
    words.sort_unstable();
    words.dedup();
    Ok((scores, words))
}

/// gensim's `most_similar_cosmul(positive, negative, topn, restrict_vocab)`: the `topn` best
/// [`cosmul_similarities`], never one of the terms' own words.
pub fn most_similar_cosmul(
    space: &Space,
    positive: &[Key],
    negative: &[Key],
    topn: usize,
    restrict_vocab: Option<usize>,
) -> Result<Vec<Scored>> {
    let (scores, exclude) = cosmul_scores(space, positive, negative, restrict_vocab)?;
    let mut top = TopK::new(topn);
    for (row, &key) in scores.iter().enumerate() {
        if top.takes_next(key) && exclude.binary_search(&row).is_err() {
            top.push(Candidate { key, row });
        }
    }
    Ok(top
        .into_neighbors(|key| key)
        .into_iter()
        .map(|hit| Scored { word: space.word(hit.row).to_owned(), row: hit.row, score: hit.score })
        .collect())
}

/// gensim's `most_similar_cosmul(…, topn=None)`: every score, in row order.
pub fn cosmul_similarities(
    space: &Space,
    positive: &[Key],
    negative: &[Key],
    restrict_vocab: Option<usize>,
) -> Result<Vec<f32>> {
    Ok(cosmul_scores(space, positive, negative, restrict_vocab)?.0)
}

/// gensim's `doesnt_match`: the word whose unit vector is furthest from the mean of all the
/// words' unit vectors (the first such word on a tie). Words without a vector are left out, as
/// gensim does (it logs them); they are returned beside the answer so that a front end can say
/// so. In a space with subwords every word with n-grams has a vector, as in gensim's fastText.
pub fn doesnt_match(space: &Space, words: &[String]) -> Result<(String, Vec<String>)> {
    let (known, unknown): (Vec<&String>, Vec<&String>) = words.iter().partition(|w| space.has_vector(w));
    if known.is_empty() {
        return Err(Error::invalid("cannot select a word from an empty list: none of the words is in the space"));
    }
    let vectors: Vec<Vec<f32>> = known.iter().map(|w| space.word_vector(w, true)).collect::<crate::Result<_>>()?;
    let mut mean = vec![0.0f32; space.dims()];
    vectors.iter().for_each(|v| mean.iter_mut().zip(v).for_each(|(m, x)| *m += x));
    let scores: Vec<f32> = vectors.iter().map(|v| vecspace_core::cosine(v, &mean)).collect();
    let furthest = (0..known.len()).min_by(|&a, &b| scores[a].total_cmp(&scores[b])).expect("at least one word");
    Ok((known[furthest].clone(), unknown.into_iter().cloned().collect()))
}

/// gensim's `n_similarity`: the cosine of the means of two word lists' vectors (as stored, not
/// unit-normalised; words without a vector are passed over, as gensim does).
pub fn n_similarity(space: &Space, first: &[String], second: &[String]) -> Result<f32> {
    if first.is_empty() || second.is_empty() {
        return Err(Error::invalid("n_similarity needs at least one word in each list"));
    }
    let mean = |words: &[String]| -> Result<Vec<f32>> {
        let mut mean = vec![0.0f32; space.dims()];
        let known: Vec<&String> = words.iter().filter(|w| space.has_vector(w)).collect();
        for word in &known {
            let vector = space.word_vector(word, false)?;
            mean.iter_mut().zip(&vector).for_each(|(m, x)| *m += x);
        }
        if !known.is_empty() {
            mean.iter_mut().for_each(|m| *m /= known.len() as f32);
        }
        Ok(mean)
    };
    Ok(vecspace_core::cosine(&mean(first)?, &mean(second)?))
}

/// One section of gensim's `evaluate_word_analogies` result: the questions answered correctly and
/// not, as gensim writes them (upper-cased when the evaluation ignores case).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnalogySection {
    pub section: String,
    pub correct: Vec<[String; 4]>,
    pub incorrect: Vec<[String; 4]>,
}

/// gensim's `evaluate_word_analogies` result: the overall score and the sections, the last named
/// `Total accuracy` and holding every question.
#[derive(Debug, Clone, PartialEq)]
pub struct WordAnalogies {
    pub score: f64,
    pub sections: Vec<AnalogySection>,
}

/// gensim's `evaluate_word_analogies(analogies, restrict_vocab, case_insensitive, dummy4unknown,
/// similarity_function)`: `set` is a file or a registered set; `method` is 3CosAdd for
/// `most_similar` and 3CosMul for `most_similar_cosmul`. With `dummy4unknown`, questions with a
/// word outside the vocabulary count as wrong instead of being skipped.
pub fn evaluate_word_analogies(
    space: &Space,
    set: &str,
    options: &AnalogyOptions,
    dummy4unknown: bool,
    progress: &dyn Progress,
) -> Result<WordAnalogies> {
    let analogies = evaluation::analogy_set(set, Sources::RegisteredOrFile, progress)?;
    let report = evaluation::analogies(space, &analogies, options, progress)?;
    let written =
        |words: &[String; 4]| words.clone().map(|w| if options.case_insensitive { w.to_uppercase() } else { w });
    let mut results = report.questions.iter();
    let mut sections: Vec<AnalogySection> = Vec::with_capacity(analogies.sections.len() + 1);
    for part in &analogies.sections {
        let mut section = AnalogySection { section: part.name.clone(), correct: Vec::new(), incorrect: Vec::new() };
        for question in &part.questions {
            match results.next() {
                Some(QuestionResult::Answered { correct: true, .. }) => section.correct.push(written(&question.words)),
                Some(QuestionResult::Answered { correct: false, .. }) => {
                    section.incorrect.push(written(&question.words))
                }
                Some(QuestionResult::Skipped) if dummy4unknown => section.incorrect.push(written(&question.words)),
                Some(QuestionResult::Skipped) | None => {}
            }
        }
        sections.push(section);
    }
    let total = AnalogySection {
        section: "Total accuracy".to_owned(),
        correct: sections.iter().flat_map(|s| s.correct.iter().cloned()).collect(),
        incorrect: sections.iter().flat_map(|s| s.incorrect.iter().cloned()).collect(),
    };
    let answered = total.correct.len() + total.incorrect.len();
    let score = if answered == 0 { 0.0 } else { total.correct.len() as f64 / answered as f64 };
    sections.push(total);
    Ok(WordAnalogies { score, sections })
}

/// A correlation and its two-sided p-value, as SciPy reports them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Correlation {
    pub statistic: f64,
    pub pvalue: f64,
}

/// gensim's `evaluate_word_pairs` result.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WordPairs {
    pub pearson: Correlation,
    pub spearman: Correlation,
    /// Pairs with a word outside the vocabulary, in percent.
    pub oov_ratio: f64,
}

/// gensim's `evaluate_word_pairs(pairs, delimiter, restrict_vocab, case_insensitive,
/// dummy4unknown)`: `set` is a file (fields split on `delimiter`) or a registered set. With
/// `dummy4unknown`, pairs with a word outside the vocabulary enter the correlations with
/// similarity 0 and the out-of-vocabulary ratio is taken over all pairs' count as gensim does.
pub fn evaluate_word_pairs(
    space: &Space,
    set: &str,
    delimiter: &str,
    options: &crate::eval::PairOptions,
    dummy4unknown: bool,
    progress: &dyn Progress,
) -> Result<WordPairs> {
    let pairs = pair_set(set, delimiter, progress)?;
    let report = crate::eval::evaluate_pairs(space, &pairs, options)?;
    let (mut gold, mut model) = (Vec::new(), Vec::new());
    for (pair, similarity) in pairs.pairs.iter().zip(&report.similarities) {
        match similarity {
            Some(similarity) => model.push(f64::from(*similarity)),
            None if dummy4unknown => model.push(0.0),
            None => continue,
        }
        gold.push(pair.score);
    }
    let oov = report.pairs_skipped as f64;
    // gensim divides by the pairs used, which with dummy4unknown include the unknown ones.
    let oov_ratio = if dummy4unknown { oov / gold.len() as f64 * 100.0 } else { report.oov_percent };
    let correlation =
        |statistic: f64| Correlation { statistic, pvalue: stats::correlation_p_value(statistic, gold.len()) };
    Ok(WordPairs {
        pearson: correlation(stats::pearson(&gold, &model)),
        spearman: correlation(stats::spearman(&gold, &model)),
        oov_ratio,
    })
}

/// A word-pair set: with a tab delimiter, any registered set or file as elsewhere; with another
/// delimiter, a file split on it.
fn pair_set(set: &str, delimiter: &str, progress: &dyn Progress) -> Result<PairSet> {
    if delimiter == "\t" {
        return evaluation::pair_set(set, Sources::RegisteredOrFile, progress);
    }
    let path = std::path::Path::new(set);
    let text = vecspace_core::io::read_regular_to_string(path, vecspace_core::io::READ_LIMIT)
        .map_err(|source| Error::Io { path: path.to_owned(), source })?;
    sets::read_delimited_pairs(&text, delimiter)
        .map_err(|e| Error::invalid(format!("reading word pairs from {}: {e}", path.display())))
}

/// The method behind gensim's `similarity_function` name.
pub fn analogy_method(similarity_function: &str) -> Result<AnalogyMethod> {
    match similarity_function {
        "most_similar" => Ok(AnalogyMethod::Add),
        "most_similar_cosmul" => Ok(AnalogyMethod::Mul),
        other => Err(Error::invalid(format!(
            "unknown similarity_function {other:?}: use \"most_similar\" or \"most_similar_cosmul\""
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn space() -> Space {
        let words = ["king", "man", "woman", "queen", "apple", "pear"].map(String::from).to_vec();
        #[rustfmt::skip]
        let rows = vec![
            0.9, 0.8, 0.1,
            0.1, 0.9, 0.0,
            0.1, 0.0, 0.9,
            0.9, 0.0, 0.8,
            -0.5, 0.2, 0.1,
            -0.4, 0.3, 0.0,
        ];
        Space::from_rows(words, rows, 3).unwrap()
    }

    /// gensim's rule, written out: Σ wᵢ·ûᵢ / Σ|wᵢ|, then cosine with every row.
    fn cosines_with_weighted_mean(space: &Space, terms: &[(&str, f32)]) -> Vec<f32> {
        let mut mean = [0.0f32; 3];
        for &(word, weight) in terms {
            let unit = space.unit_vector(space.lookup(word).unwrap());
            (0..3).for_each(|i| mean[i] += weight * unit[i]);
        }
        (0..space.len()).map(|row| vecspace_core::cosine(space.raw_vector(row), &mean)).collect()
    }

    #[test]
    fn weights_default_to_plus_and_minus_one_and_given_ones_are_kept() {
        let space = space();
        let positive = [Term { key: Key::Word("king".into()), weight: Some(2.0) }, Term::word("woman")];
        // A weight given with a negative term is used as given (gensim does not negate it).
        let negative = [Term { key: Key::Word("man".into()), weight: Some(0.5) }];
        let all = similarities(&space, &positive, &negative, None).unwrap();
        let expected = cosines_with_weighted_mean(&space, &[("king", 2.0), ("woman", 1.0), ("man", 0.5)]);
        for (found, expected) in all.iter().zip(&expected) {
            assert!((found - expected).abs() < 1e-6, "{all:?} vs {expected:?}");
        }
        let plain = similarities(&space, &[Term::word("king")], &[Term::word("man")], None).unwrap();
        let expected = cosines_with_weighted_mean(&space, &[("king", 1.0), ("man", -1.0)]);
        assert!(plain.iter().zip(&expected).all(|(a, b)| (a - b).abs() < 1e-6));
    }

    #[test]
    fn answers_leave_out_the_terms_and_keep_to_the_restricted_vocabulary() {
        let space = space();
        let found =
            most_similar(&space, &[Term::word("king"), Term::word("woman")], &[Term::word("man")], 10, None).unwrap();
        assert_eq!(found[0].word, "queen");
        assert!(found.iter().all(|s| !["king", "woman", "man"].contains(&s.word.as_str())));
        assert_eq!(found.len(), 3);
        let restricted = most_similar(&space, &[Term::word("king")], &[], 10, Some(4)).unwrap();
        assert!(restricted.iter().all(|s| s.row < 4), "{restricted:?}");
        // gensim reads restrict_vocab=0 as no restriction.
        assert_eq!(most_similar(&space, &[Term::word("king")], &[], 10, Some(0)).unwrap().len(), 5);
        assert!(most_similar(&space, &[], &[], 10, None).is_err());
    }

    #[test]
    fn cosmul_multiplies_shifted_cosines_over_any_number_of_terms() {
        let space = space();
        let positive = [Key::Word("king".into()), Key::Word("woman".into()), Key::Word("pear".into())];
        let negative = [Key::Word("man".into())];
        let scores = cosmul_similarities(&space, &positive, &negative, None).unwrap();
        for (row, score) in scores.iter().enumerate() {
            let shifted = |word: &str| {
                let unit = space.unit_vector(space.lookup(word).unwrap());
                (1.0 + vecspace_core::cosine(space.raw_vector(row), &unit)) / 2.0
            };
            let expected = shifted("king") * shifted("woman") * shifted("pear") / (shifted("man") + 1e-6);
            assert!((score - expected).abs() < 1e-5, "row {row}: {score} vs {expected}");
        }
        let top = most_similar_cosmul(&space, &positive, &negative, 2, None).unwrap();
        assert_eq!(top.len(), 2);
        assert!(top.iter().all(|s| !["king", "woman", "pear", "man"].contains(&s.word.as_str())));
        assert!(cosmul_similarities(&space, &[], &negative, None).is_err());
    }

    #[test]
    fn doesnt_match_passes_over_unknown_words() {
        let space = space();
        let words = ["king", "queen", "man", "apple", "nosuch"].map(String::from);
        let (odd, unknown) = doesnt_match(&space, &words).unwrap();
        assert_eq!((odd.as_str(), unknown), ("apple", vec!["nosuch".to_owned()]));
        assert!(doesnt_match(&space, &["nosuch".to_owned()]).is_err());
    }
}

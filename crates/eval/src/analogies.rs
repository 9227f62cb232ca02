//! Analogy benchmarks, scored exactly as gensim 4.4's `evaluate_word_analogies`.
//!
//! The rules, in order (gensim's, kept to the letter so the numbers match question by question):
//! 1. Candidates are the first `restrict_vocab` words of the space (default 300 000).
//! 2. Case-insensitively (the default), every word is upper-cased and a word stands for the most
//!    frequent row among those that upper-case alike.
//! 3. A question with any of its four words outside the candidates is skipped and counted in
//!    `skipped`; a line that is not four words is ignored and counted in `invalid_lines`.
//! 4. The five best candidates are found (3CosAdd: cosine with `b̂ − â + ĉ` over unit vectors;
//!    or 3CosMul, PairDirection), never one of the question's three words.
//! 5. The answer is the first of those five whose (upper-cased) form is not one of the question's
//!    three words — or the fifth if all are; the question is correct if it equals the fourth word.
//! 6. Sections whose name starts with `gram` are syntactic, the others semantic (the Google set's
//!    convention); sets with no `gram` section report no split.

use std::collections::HashMap;

use rayon::prelude::*;
use vecspace_core::analogy::{QuestionTerms, rank_analogies_with, rank_analogy};
use vecspace_core::progress::{Progress, Unit};
use vecspace_core::search::{Candidate, Neighbor, Rows, SearchEngine, TopK};
use vecspace_core::{AnalogyMethod, Space};

use crate::sets::AnalogySet;
use crate::vocab::Candidates;
use crate::{Error, Result};

/// gensim takes this many answers per question before applying its filters.
pub const CONSIDERED: usize = 5;

/// How to evaluate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AnalogyOptions {
    pub restrict_vocab: usize,
    pub case_insensitive: bool,
    pub method: AnalogyMethod,
}

impl Default for AnalogyOptions {
    fn default() -> Self {
        AnalogyOptions { restrict_vocab: 300_000, case_insensitive: true, method: AnalogyMethod::Add }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Category {
    Semantic,
    Syntactic,
}

/// One section's score.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SectionScore {
    pub name: String,
    pub correct: usize,
    /// Questions answered (not skipped).
    pub total: usize,
    pub category: Option<Category>,
}

/// What happened to one question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QuestionResult {
    /// A word was outside the candidates.
    Skipped,
    /// `predicted` is the answer as the space spells it (`None` only if no candidate was left).
    Answered { predicted: Option<String>, correct: bool },
}

/// The outcome of an analogy evaluation.
#[derive(Debug, Clone, PartialEq)]
pub struct AnalogyReport {
    pub method: AnalogyMethod,
    /// The number of candidate words actually used (`restrict_vocab`, or the space's size if smaller).
    pub restrict_vocab: usize,
    pub case_insensitive: bool,
    pub sections: Vec<SectionScore>,
    pub correct: usize,
    pub total: usize,
    pub skipped: usize,
    pub invalid_lines: usize,
    /// (correct, total) over semantic and syntactic sections, where the set has that split.
    pub semantic: Option<(usize, usize)>,
    pub syntactic: Option<(usize, usize)>,
    /// One entry per question, in file order.
    pub questions: Vec<QuestionResult>,
}

impl AnalogyReport {
    /// Correct answers over answered questions (0 when none were answered).
    pub fn accuracy(&self) -> f64 {
        if self.total == 0 { 0.0 } else { self.correct as f64 / self.total as f64 }
    }
}

/// A question ready to answer: the rows of its words, their upper-cased keys and terms.
struct Prepared {
    /// Index into the questions of the set, in file order.
    index: usize,
    section: usize,
    keys: [String; 4],
    rows: [usize; 3],
    /// Indices of a, b, c among the distinct question words.
    words: [usize; 3],
    terms: QuestionTerms,
}

impl Prepared {
    /// Whether the method's query is the zero vector (3CosAdd with `b̂ − â + ĉ = 0`, PairDirection
    /// with `b = a`): such a question has no answer, as in [`rank_analogy`].
    fn degenerate(&self, method: AnalogyMethod) -> bool {
        match method {
            AnalogyMethod::Add => self.terms.add_norm == 0.0,
            AnalogyMethod::Mul => false,
            AnalogyMethod::Pair => self.terms.offset_norm == 0.0,
        }
    }
}

/// Evaluates `set` on `space`: every answer in one pass over the candidates (see the crate docs).
pub fn evaluate_analogies(
    space: &Space,
    set: &AnalogySet,
    options: &AnalogyOptions,
    progress: &dyn Progress,
) -> Result<AnalogyReport> {
    evaluate_with(space, set, options, |candidates, prepared, distinct| {
        let words: Vec<f32> = distinct.iter().flat_map(|&row| space.unit_vector(row)).collect();
        let rows = prefix(space, candidates.limit());
        let tops = scan(rows, &words, prepared, options.method, progress);
        Ok(tops.into_iter().map(|top| top.into_neighbors(|key| key)).collect())
    })
}

/// The plain reference for [`evaluate_analogies`]: each question answered on its own by
/// [`rank_analogy`]. Slow; the tests hold the fast path to it.
pub fn evaluate_analogies_reference(
    space: &Space,
    set: &AnalogySet,
    options: &AnalogyOptions,
) -> Result<AnalogyReport> {
    evaluate_with(space, set, options, |candidates, prepared, _| {
        let rows = prefix(space, candidates.limit());
        prepared
            .iter()
            .map(|q| {
                let [a, b, c] = q.rows.map(|row| space.unit_vector(row));
                answerable(rank_analogy(rows, [&a, &b, &c], options.method, CONSIDERED, &q.rows))
            })
            .collect()
    })
}

/// [`evaluate_analogies`] with every question answered through a search engine
/// ([`rank_analogies_with`], a batch of questions at a time): 3CosAdd as one top-k query of
/// `b̂ − â + ĉ` with `a`, `b`, `c` excluded, 3CosMul and PairDirection from the engine's
/// candidates scored exactly — so an approximate, compact or remote engine is measured by the
/// benchmark it affects. An engine that reads every row anyway answers 3CosMul and PairDirection
/// with the batched full scan.
pub fn evaluate_analogies_with_engine(
    space: &Space,
    set: &AnalogySet,
    options: &AnalogyOptions,
    engine: &dyn SearchEngine,
    progress: &dyn Progress,
) -> Result<AnalogyReport> {
    if options.method != AnalogyMethod::Add && engine.scans_every_row() {
        return evaluate_analogies(space, set, options, progress);
    }
    evaluate_with(space, set, options, |candidates, prepared, _| {
        let rows = space.rows();
        progress.start("answering with the engine", Some(prepared.len() as u64), Unit::Items);
        let mut answers = Vec::with_capacity(prepared.len());
        for batch in prepared.chunks(QUESTIONS_PER_BATCH) {
            let questions: Vec<([Vec<f32>; 3], Vec<usize>)> =
                batch.iter().map(|q| (q.rows.map(|row| space.unit_vector(row)), q.rows.to_vec())).collect();
            let found = rank_analogies_with(engine, rows, candidates.limit(), &questions, options.method, CONSIDERED)?;
            for answer in found {
                answers.push(answerable(answer)?);
            }
            progress.advance(batch.len() as u64);
        }
        progress.finish();
        Ok(answers)
    })
}

/// Questions whose searches go to the engine together: a few requests to a database server for
/// the whole benchmark, and a progress bar that still moves.
const QUESTIONS_PER_BATCH: usize = 1024;

/// A degenerate question (zero query) has no answer and counts as wrong; an engine that fails
/// stops the evaluation.
fn answerable(found: vecspace_core::Result<Vec<Neighbor>>) -> Result<Vec<Neighbor>> {
    match found {
        Err(vecspace_core::Error::ZeroQuery) => Ok(Vec::new()),
        other => Ok(other?),
    }
}

fn prefix(space: &Space, limit: usize) -> Rows<'_> {
    space.rows().prefix(limit)
}

/// The rules around the answering: vocabulary, skipping, gensim's filter, the tallies.
fn evaluate_with(
    space: &Space,
    set: &AnalogySet,
    options: &AnalogyOptions,
    answer: impl FnOnce(&Candidates, &[Prepared], &[usize]) -> Result<Vec<Vec<Neighbor>>>,
) -> Result<AnalogyReport> {
    if options.restrict_vocab == 0 {
        return Err(Error::ZeroRestriction);
    }
    let candidates = Candidates::new(space, options.restrict_vocab, options.case_insensitive);
    let mut prepared = Vec::new();
    let mut distinct: Vec<usize> = Vec::new();
    let mut position: HashMap<usize, usize> = HashMap::new();
    let mut questions = Vec::with_capacity(set.question_count());
    for (section, part) in set.sections.iter().enumerate() {
        for question in &part.questions {
            let keys = question.words.each_ref().map(|w| candidates.key(w).into_owned());
            let rows = keys.each_ref().map(|k| candidates.row(k));
            let index = questions.len();
            questions.push(QuestionResult::Skipped);
            let [Some(a), Some(b), Some(c), Some(_)] = rows else { continue };
            let words = [a, b, c].map(|row| {
                *position.entry(row).or_insert_with(|| {
                    distinct.push(row);
                    distinct.len() - 1
                })
            });
            let [ua, ub, uc] = [a, b, c].map(|row| space.unit_vector(row));
            let terms = QuestionTerms::new(&ua, &ub, &uc);
            prepared.push(Prepared { index, section, keys, rows: [a, b, c], words, terms });
        }
    }
    let answers = answer(&candidates, &prepared, &distinct)?;

    let mut sections: Vec<SectionScore> = set
        .sections
        .iter()
        .map(|s| SectionScore { name: s.name.clone(), correct: 0, total: 0, category: None })
        .collect();
    for (question, found) in prepared.iter().zip(answers) {
        let ignore = &question.keys[..3];
        let mut predicted: Option<(String, usize)> = None;
        for hit in found.iter().take(CONSIDERED) {
            let key = candidates.key(space.word(hit.row)).into_owned();
            let acceptable = candidates.row(&key).is_some() && !ignore.contains(&key);
            predicted = Some((key, hit.row));
            if acceptable {
                break;
            }
        }
        let correct = predicted.as_ref().is_some_and(|(key, _)| *key == question.keys[3]);
        let score = &mut sections[question.section];
        score.total += 1;
        score.correct += usize::from(correct);
        questions[question.index] =
            QuestionResult::Answered { predicted: predicted.map(|(_, row)| space.word(row).to_owned()), correct };
    }

    let split = sections.iter().any(|s| s.name.starts_with("gram"));
    let mut semantic = (0, 0);
    let mut syntactic = (0, 0);
    for section in &mut sections {
        if split {
            let (category, tally) = if section.name.starts_with("gram") {
                (Category::Syntactic, &mut syntactic)
            } else {
                (Category::Semantic, &mut semantic)
            };
            section.category = Some(category);
            tally.0 += section.correct;
            tally.1 += section.total;
        }
    }
    let correct = sections.iter().map(|s| s.correct).sum();
    let total = sections.iter().map(|s| s.total).sum();
    Ok(AnalogyReport {
        method: options.method,
        restrict_vocab: candidates.limit(),
        case_insensitive: options.case_insensitive,
        correct,
        total,
        skipped: questions.len() - total,
        invalid_lines: set.invalid_lines.len(),
        semantic: split.then_some(semantic),
        syntactic: split.then_some(syntactic),
        sections,
        questions,
    })
}

/// Candidate rows per block: the block's cosines with every distinct word (a few hundred) stay
/// in the core's L2 cache while each question reads three of them.
const BLOCK: usize = 128;

/// The best [`CONSIDERED`] candidates of every question, ranked by key: for Add the cosine with
/// `b̂ − â + ĉ` times that vector's length (the same order), for Mul and Pair the score itself.
fn scan(
    rows: Rows<'_>,
    words: &[f32],
    questions: &[Prepared],
    method: AnalogyMethod,
    progress: &dyn Progress,
) -> Vec<TopK> {
    let dims = rows.dims;
    let distinct = words.len() / dims;
    let n = rows.len();
    // A NaN norm stays NaN, so such a row never ranks.
    let inverse_norms: Vec<f32> = rows.norms.iter().map(|&norm| if norm == 0.0 { 0.0 } else { 1.0 / norm }).collect();
    let threads = rayon::current_num_threads();
    let chunk = n.div_ceil(threads * 4).div_ceil(BLOCK).max(1) * BLOCK;
    progress.start("answering questions", Some(n as u64), Unit::Items);
    let fresh = || questions.iter().map(|_| TopK::new(CONSIDERED)).collect::<Vec<_>>();
    let tops = (0..n)
        .into_par_iter()
        .step_by(chunk)
        .map(|start| {
            let end = (start + chunk).min(n);
            let mut tops = fresh();
            let mut cosines = vec![0.0f32; distinct * BLOCK];
            let mut keys = vec![0.0f32; BLOCK];
            let mut block = start;
            while block < end {
                let len = BLOCK.min(end - block);
                let cosines = &mut cosines[..distinct * len];
                word_cosines(words, distinct, &rows, &inverse_norms, block, len, cosines);
                for (question, top) in questions.iter().zip(tops.iter_mut()) {
                    if question.degenerate(method) {
                        continue;
                    }
                    let [a, b, c] = question.words.map(|w| &cosines[w * len..(w + 1) * len]);
                    let keys = &mut keys[..len];
                    let terms = question.terms;
                    // One monomorphised loop per method, so each vectorises.
                    match method {
                        AnalogyMethod::Add => fill(keys, a, b, c, |a, b, c| b - a + c),
                        AnalogyMethod::Mul => fill(keys, a, b, c, |a, b, c| AnalogyMethod::Mul.score(a, b, c, &terms)),
                        AnalogyMethod::Pair => {
                            fill(keys, a, b, c, |a, b, c| AnalogyMethod::Pair.score(a, b, c, &terms))
                        }
                    }
                    select(top, keys, block, &question.rows);
                }
                progress.advance(len as u64);
                block += len;
            }
            tops
        })
        .reduce(fresh, |a, b| a.into_iter().zip(b).map(|(x, y)| x.merge(y)).collect());
    progress.finish();
    tops
}

#[inline(always)]
fn fill(keys: &mut [f32], a: &[f32], b: &[f32], c: &[f32], key: impl Fn(f32, f32, f32) -> f32) {
    for (((out, &a), &b), &c) in keys.iter_mut().zip(a).zip(b).zip(c) {
        *out = key(a, b, c);
    }
}

/// `out[w·len + j]` = cosine between distinct word `w` (a unit vector) and row `block + j`.
fn word_cosines(
    words: &[f32],
    distinct: usize,
    rows: &Rows<'_>,
    inverse_norms: &[f32],
    block: usize,
    len: usize,
    out: &mut [f32],
) {
    let dims = rows.dims;
    let data = &rows.data[block * dims..(block + len) * dims];
    // SAFETY: words is distinct × dims, data is len × dims (read transposed through its strides),
    // out is distinct × len; the strides below describe exactly those shapes.
    unsafe {
        matrixmultiply::sgemm(
            distinct,
            dims,
            len,
            1.0,
            words.as_ptr(),
            dims as isize,
            1,
            data.as_ptr(),
            1,
            dims as isize,
            0.0,
            out.as_mut_ptr(),
            len as isize,
            1,
        );
    }
    let inverse = &inverse_norms[block..block + len];
    for row in out.chunks_exact_mut(len) {
        row.iter_mut().zip(inverse).for_each(|(cosine, &inv)| *cosine *= inv);
    }
}

/// Offers a block's keys to a selection, skipping the question's own rows. Eight keys at a time
/// are compared with the bar first; almost every group falls below it and costs no more.
fn select(top: &mut TopK, keys: &[f32], first_row: usize, exclude: &[usize; 3]) {
    for (group_index, group) in keys.chunks(8).enumerate() {
        if let Some(bar) = top.bar() {
            let mut any = false;
            for &key in group {
                any |= key > bar;
            }
            if !any {
                continue;
            }
        }
        for (offset, &key) in group.iter().enumerate() {
            let row = first_row + group_index * 8 + offset;
            if top.takes_next(key) && !exclude.contains(&row) {
                top.push(Candidate { key, row });
            }
        }
    }
}

//! Analogies ("a is to b as c is to ?") and the other word-set questions gensim answers:
//! the odd one out, and the rank of one word among another's neighbours.

use std::fmt;
use std::str::FromStr;

use rayon::prelude::*;

use crate::search::{self, Candidate, Neighbor, Rows, Scoring, SearchEngine, TopK, kernels};
use crate::{Error, Result, Scored, Space};

/// How to answer "a is to b as c is to ?" (Levy & Goldberg 2014 name all three).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AnalogyMethod {
    /// 3CosAdd: the words nearest `b − a + c` (unit vectors), ranked by cosine. gensim's
    /// `most_similar(positive=[b, c], negative=[a])`.
    #[default]
    Add,
    /// 3CosMul: `cos'(x,b) · cos'(x,c) / (cos'(x,a) + ε)` with cosines shifted to [0, 1] as
    /// `cos' = (1 + cos) / 2` and ε = 10⁻⁶, exactly gensim's `most_similar_cosmul`.
    Mul,
    /// PairDirection: `cos(x − c, b − a)`, the direction from `c` to the answer should be the
    /// direction from `a` to `b`; ignores how close the answer is to `c`.
    Pair,
}

impl AnalogyMethod {
    pub fn name(self) -> &'static str {
        match self {
            AnalogyMethod::Add => "add",
            AnalogyMethod::Mul => "mul",
            AnalogyMethod::Pair => "pair",
        }
    }
}

impl fmt::Display for AnalogyMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for AnalogyMethod {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "add" | "3cosadd" => Ok(AnalogyMethod::Add),
            "mul" | "3cosmul" => Ok(AnalogyMethod::Mul),
            "pair" | "pairdirection" => Ok(AnalogyMethod::Pair),
            _ => Err(format!("unknown analogy method {s:?}: use add, mul or pair")),
        }
    }
}

/// gensim's ε in 3CosMul, which keeps the division finite.
pub const COSMUL_EPSILON: f32 = 1e-6;

/// What scoring a candidate needs to know about a question besides the candidate's cosines with
/// its three (unit) word vectors.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QuestionTerms {
    /// `‖b̂ − â + ĉ‖`: 3CosAdd's score is the cosine with that vector.
    pub add_norm: f32,
    /// `ĉ · (b̂ − â)` and `‖b̂ − â‖`, for PairDirection.
    pub c_dot_offset: f32,
    pub offset_norm: f32,
}

impl QuestionTerms {
    /// From the unit vectors of `a`, `b` and `c`.
    pub fn new(a: &[f32], b: &[f32], c: &[f32]) -> Self {
        let (mut add, mut offset, mut c_dot_offset) = (0.0f64, 0.0f64, 0.0f64);
        for i in 0..a.len() {
            let (a, b, c) = (f64::from(a[i]), f64::from(b[i]), f64::from(c[i]));
            add += (b - a + c) * (b - a + c);
            offset += (b - a) * (b - a);
            c_dot_offset += c * (b - a);
        }
        QuestionTerms {
            add_norm: add.sqrt() as f32,
            c_dot_offset: c_dot_offset as f32,
            offset_norm: offset.sqrt() as f32,
        }
    }
}

impl AnalogyMethod {
    /// A candidate's score from its cosines with the question's words: the cosine with
    /// `b − a + c` (Add), gensim's 3CosMul, or `cos(x − c, b − a)` (Pair). Every fast path and
    /// the plain path score through this one function.
    #[inline(always)]
    pub fn score(self, cos_a: f32, cos_b: f32, cos_c: f32, terms: &QuestionTerms) -> f32 {
        match self {
            AnalogyMethod::Add => (cos_b - cos_a + cos_c) / terms.add_norm,
            AnalogyMethod::Mul => {
                let shifted = |cos: f32| (1.0 + cos) / 2.0;
                shifted(cos_b) * shifted(cos_c) / (shifted(cos_a) + COSMUL_EPSILON)
            }
            AnalogyMethod::Pair => {
                // x̂ and ĉ are unit vectors: ‖x̂ − ĉ‖² = 2 − 2 x̂·ĉ.
                let distance = (2.0 - 2.0 * cos_c).max(0.0).sqrt();
                (cos_b - cos_a - terms.c_dot_offset) / (distance * terms.offset_norm)
            }
        }
    }
}

/// The `k` best answers among `rows` to the question whose unit word vectors are `[a, b, c]`,
/// skipping `exclude`: the per-question path behind [`Space::analogy`], and the reference the
/// batched evaluation is tested against.
pub fn rank_analogy(
    rows: Rows<'_>,
    [a, b, c]: [&[f32]; 3],
    method: AnalogyMethod,
    k: usize,
    exclude: &[usize],
) -> Result<Vec<Neighbor>> {
    let terms = QuestionTerms::new(a, b, c);
    if (method == AnalogyMethod::Add && terms.add_norm == 0.0)
        || (method == AnalogyMethod::Pair && terms.offset_norm == 0.0)
    {
        return Err(Error::ZeroQuery);
    }
    if method == AnalogyMethod::Add {
        // One dot product per row instead of three.
        let query: Vec<f32> = (0..a.len()).map(|i| b[i] - a[i] + c[i]).collect();
        let query = crate::space::searchable(&query, Scoring::default());
        return Ok(search::nearest(rows, &query, k, Scoring::default(), exclude));
    }
    Ok(search::nearest_by(rows, &[a, b, c], k, exclude, |dots, norm| {
        if norm == 0.0 {
            return f32::NAN;
        }
        method.score(dots[0] / norm, dots[1] / norm, dots[2] / norm, &terms)
    }))
}

/// Candidates an engine is asked for per wanted answer when it ranks a 3CosMul or
/// PairDirection question, and the least it is asked for.
const POOL_PER_ANSWER: usize = 10;
const MIN_POOL: usize = 100;

/// [`rank_analogy`] through a search engine, with only the first `limit` rows as answers.
///
/// 3CosAdd is one engine query of `b̂ − â + ĉ`. 3CosMul and PairDirection are not a single dot
/// product: an engine that reads every row anyway ranks them with the full scan; any other engine
/// is asked for candidates — the neighbours of `b̂ − â + ĉ`, of `b̂`, of `−â` (both scores reward
/// distance from `a`) and of `ĉ` (3CosMul) or the offset `b̂ − â` (PairDirection) — which are then
/// scored exactly with [`AnalogyMethod::score`]. The answer differs from the full scan's only when
/// the full scan's best row is none of those neighbours: on GloVe's Google analogies, 2 % of
/// 3CosMul answers, mostly rare words far from `a` and near neither `b` nor `c`.
pub fn rank_analogy_with(
    engine: &dyn SearchEngine,
    rows: Rows<'_>,
    limit: usize,
    [a, b, c]: [&[f32]; 3],
    method: AnalogyMethod,
    k: usize,
    exclude: &[usize],
) -> Result<Vec<Neighbor>> {
    if method != AnalogyMethod::Add && engine.scans_every_row() {
        return rank_analogy(rows.prefix(limit), [a, b, c], method, k, exclude);
    }
    let terms = QuestionTerms::new(a, b, c);
    if (method == AnalogyMethod::Add && terms.add_norm == 0.0)
        || (method == AnalogyMethod::Pair && terms.offset_norm == 0.0)
    {
        return Err(Error::ZeroQuery);
    }
    let add: Vec<f32> = (0..a.len()).map(|i| b[i] - a[i] + c[i]).collect();
    let scoring = Scoring::default();
    if method == AnalogyMethod::Add {
        // Scaled as an expression query is, so `analogy` and `query "b - a + c"` agree exactly.
        let query = crate::space::searchable(&add, scoring);
        return engine.nearest_below(rows, limit, &query, k, scoring, exclude);
    }
    let pool = (k * POOL_PER_ANSWER).max(MIN_POOL);
    let mut candidates = Vec::new();
    for query in candidate_queries(method, [a, b, c]) {
        candidates.extend(engine.nearest_below(rows, limit, &query, pool, scoring, exclude)?.iter().map(|hit| hit.row));
    }
    Ok(score_candidates(rows, [a, b, c], &terms, method, k, candidates))
}

/// The searches whose neighbours are a 3CosMul or PairDirection question's candidates: b − a + c,
/// and b, c or the offset b − a, and −a (the rows far from a).
fn candidate_queries(method: AnalogyMethod, [a, b, c]: [&[f32]; 3]) -> [Vec<f32>; 4] {
    let add = (0..a.len()).map(|i| b[i] - a[i] + c[i]).collect();
    let away = a.iter().map(|x| -x).collect();
    match method {
        AnalogyMethod::Mul => [add, b.to_vec(), c.to_vec(), away],
        _ => [add, (0..a.len()).map(|i| b[i] - a[i]).collect(), b.to_vec(), away],
    }
}

/// The best `k` of `candidates` under `method`, scored exactly.
fn score_candidates(
    rows: Rows<'_>,
    [a, b, c]: [&[f32]; 3],
    terms: &QuestionTerms,
    method: AnalogyMethod,
    k: usize,
    mut candidates: Vec<usize>,
) -> Vec<Neighbor> {
    candidates.sort_unstable();
    candidates.dedup();
    let mut top = TopK::new(k);
    let mut dots = [0.0f32; 3];
    for row in candidates {
        let norm = rows.norms[row];
        for (dot, word) in dots.iter_mut().zip([a, b, c]) {
            let mut out = [0.0f32];
            kernels::dots(rows.row(row), rows.dims, word, &mut out);
            *dot = out[0];
        }
        let key =
            if norm == 0.0 { f32::NAN } else { method.score(dots[0] / norm, dots[1] / norm, dots[2] / norm, terms) };
        if top.takes_next(key) {
            top.push(Candidate { key, row });
        }
    }
    top.into_neighbors(|key| key)
}

/// Many questions answered as [`rank_analogy_with`] answers each, with the engine's searches
/// sent together ([`SearchEngine::nearest_batch_below`]): one request per batch to a database
/// server instead of one per search. `questions` holds each question's unit vectors a, b, c and
/// the rows it excludes. A degenerate question's answer is [`Error::ZeroQuery`]; an engine that
/// fails fails the batch.
pub fn rank_analogies_with(
    engine: &dyn SearchEngine,
    rows: Rows<'_>,
    limit: usize,
    questions: &[([Vec<f32>; 3], Vec<usize>)],
    method: AnalogyMethod,
    k: usize,
) -> Result<Vec<Result<Vec<Neighbor>>>> {
    if method != AnalogyMethod::Add && engine.scans_every_row() {
        return Ok(questions
            .par_iter()
            .map(|([a, b, c], exclude)| rank_analogy(rows.prefix(limit), [a, b, c], method, k, exclude))
            .collect());
    }
    let scoring = Scoring::default();
    let terms: Vec<QuestionTerms> = questions.iter().map(|([a, b, c], _)| QuestionTerms::new(a, b, c)).collect();
    let answerable: Vec<usize> = (0..questions.len())
        .filter(|&i| match method {
            AnalogyMethod::Add => terms[i].add_norm != 0.0,
            AnalogyMethod::Pair => terms[i].offset_norm != 0.0,
            AnalogyMethod::Mul => true,
        })
        .collect();
    // The searches of every answerable question, one after another, with their exclusions.
    let per_question = if method == AnalogyMethod::Add { 1 } else { 4 };
    let mut queries = Vec::with_capacity(answerable.len() * per_question * rows.dims);
    let mut exclude = Vec::with_capacity(answerable.len() * per_question);
    for &i in &answerable {
        let ([a, b, c], excluded) = &questions[i];
        if method == AnalogyMethod::Add {
            let add: Vec<f32> = (0..a.len()).map(|d| b[d] - a[d] + c[d]).collect();
            queries.extend_from_slice(&crate::space::searchable(&add, scoring));
        } else {
            candidate_queries(method, [a, b, c]).iter().for_each(|q| queries.extend_from_slice(q));
        }
        exclude.extend(std::iter::repeat_n(excluded.clone(), per_question));
    }
    let wanted = if method == AnalogyMethod::Add { k } else { (k * POOL_PER_ANSWER).max(MIN_POOL) };
    let found = engine.nearest_batch_below(rows, limit, &queries, wanted, scoring, &exclude)?;
    let mut answers: Vec<Result<Vec<Neighbor>>> = (0..questions.len()).map(|_| Err(Error::ZeroQuery)).collect();
    let scored: Vec<(usize, Vec<Neighbor>)> = answerable
        .par_iter()
        .zip(found.par_chunks(per_question))
        .map(|(&i, hits)| {
            if method == AnalogyMethod::Add {
                return (i, hits[0].clone());
            }
            let ([a, b, c], _) = &questions[i];
            let candidates = hits.iter().flatten().map(|hit| hit.row).collect();
            (i, score_candidates(rows, [a, b, c], &terms[i], method, k, candidates))
        })
        .collect();
    for (i, answer) in scored {
        answers[i] = Ok(answer);
    }
    Ok(answers)
}

impl Space {
    /// The `k` best answers to "`a` is to `b` as `c` is to ?"; the three question words are never
    /// answers. Answered through the space's engine ([`rank_analogy_with`]).
    ///
    /// ```
    /// # use vecspace_core::{AnalogyMethod, Space};
    /// let space = Space::from_rows(
    ///     ["man", "king", "woman", "queen", "apple"].map(String::from).to_vec(),
    ///     vec![1.0, 0.0, 0.1,  1.0, 1.0, 0.0,  0.0, 0.0, 1.0,  0.0, 1.0, 1.0,  0.3, -1.0, 0.2],
    ///     3,
    /// )?;
    /// for method in [AnalogyMethod::Add, AnalogyMethod::Mul, AnalogyMethod::Pair] {
    ///     let answers = space.analogy("man", "king", "woman", method, 1)?;
    ///     assert_eq!(answers[0].word, "queen", "{method}");
    /// }
    /// # Ok::<(), vecspace_core::Error>(())
    /// ```
    pub fn analogy(&self, a: &str, b: &str, c: &str, method: AnalogyMethod, k: usize) -> Result<Vec<Scored>> {
        let rows = [self.lookup(a)?, self.lookup(b)?, self.lookup(c)?];
        let [a, b, c] = rows.map(|row| self.unit_vector(row));
        let all = self.len();
        Ok(self.named(rank_analogy_with(self.engine(), self.rows(), all, [&a, &b, &c], method, k, &rows)?))
    }

    /// Every word with its cosine to the group's mean direction, least similar (the odd one out)
    /// first — gensim's `doesnt_match`, which returns the first entry.
    pub fn outlier(&self, words: &[&str]) -> Result<Vec<Scored>> {
        if words.len() < 2 {
            return Err(Error::TooFewWords { operation: "outlier", needed: 2, given: words.len() });
        }
        let rows = words.iter().map(|w| self.lookup(w)).collect::<Result<Vec<_>>>()?;
        let mut mean = vec![0.0f32; self.dims()];
        for &row in &rows {
            mean.iter_mut().zip(self.unit_vector(row)).for_each(|(m, x)| *m += x);
        }
        let mut scored: Vec<Scored> = rows
            .iter()
            .map(|&row| Scored {
                word: self.word(row).to_owned(),
                row,
                score: crate::space::cosine(&self.unit_vector(row), &mean),
            })
            .collect();
        scored.sort_by(|x, y| x.score.total_cmp(&y.score).then(x.row.cmp(&y.row)));
        Ok(scored)
    }

    /// Where `b` ranks among `a`'s neighbours: 1 + the number of other words closer to `a` by
    /// cosine (gensim's `rank`).
    pub fn rank(&self, a: &str, b: &str) -> Result<usize> {
        let (row_a, row_b) = (self.lookup(a)?, self.lookup(b)?);
        let scores = search::all_scores(self.rows(), self.raw_vector(row_a), Scoring::default());
        let target = scores[row_b];
        let closer = scores.iter().enumerate().filter(|&(row, &score)| row != row_a && score > target).count();
        Ok(closer + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::{Exact, ExactCandidates, row_norms};

    fn random_rows(n: usize, dims: usize, seed: u64) -> Vec<f32> {
        let mut rng = crate::random::SplitMix64(seed);
        (0..n * dims).map(|_| rng.next_f64() as f32 - 0.5).collect()
    }

    fn unit(v: &[f32]) -> Vec<f32> {
        let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        v.iter().map(|x| x / norm).collect()
    }

    #[test]
    fn candidate_scoring_equals_the_full_scan_when_the_pool_holds_every_row() {
        // 90 rows: the pool of 100 per query holds every row, so only the re-scoring can differ.
        let dims = 8;
        let data = random_rows(90, dims, 3);
        let norms = row_norms(&data, dims);
        let rows = Rows::new(&data, dims, &norms);
        for method in [AnalogyMethod::Add, AnalogyMethod::Mul, AnalogyMethod::Pair] {
            for question in [[0usize, 1, 2], [5, 17, 40], [88, 3, 61]] {
                let words = question.map(|r| unit(rows.row(r)));
                let words = [words[0].as_slice(), &words[1], &words[2]];
                let full = rank_analogy(rows, words, method, 5, &question).unwrap();
                let through =
                    rank_analogy_with(&ExactCandidates, rows, rows.len(), words, method, 5, &question).unwrap();
                assert_eq!(full.len(), 5);
                for (f, t) in full.iter().zip(&through) {
                    assert_eq!(f.row, t.row, "{method} {question:?}");
                    assert!((f.score - t.score).abs() < 1e-5, "{method}: {} vs {}", f.score, t.score);
                }
                // A restricted vocabulary: no answer at or beyond the limit.
                let below = rank_analogy_with(&ExactCandidates, rows, 30, words, method, 5, &question).unwrap();
                let reference = rank_analogy(rows.prefix(30), words, method, 5, &question).unwrap();
                assert_eq!(
                    below.iter().map(|n| n.row).collect::<Vec<_>>(),
                    reference.iter().map(|n| n.row).collect::<Vec<_>>()
                );
            }
        }
    }

    #[test]
    fn a_batch_of_questions_gets_the_answers_each_gets_alone() {
        let dims = 6;
        let data = random_rows(300, dims, 11);
        let norms = row_norms(&data, dims);
        let rows = Rows::new(&data, dims, &norms);
        let questions: Vec<([Vec<f32>; 3], Vec<usize>)> =
            [[0usize, 1, 2], [5, 17, 40], [88, 3, 61], [7, 7, 7], [9, 250, 9]]
                .iter()
                .map(|question| (question.map(|r| unit(rows.row(r))), question.to_vec()))
                .collect();
        for engine in [&ExactCandidates as &dyn SearchEngine, &Exact] {
            for method in [AnalogyMethod::Add, AnalogyMethod::Mul, AnalogyMethod::Pair] {
                for limit in [300, 120] {
                    let batch = rank_analogies_with(engine, rows, limit, &questions, method, 5).unwrap();
                    assert_eq!(batch.len(), questions.len());
                    for ((words, exclude), together) in questions.iter().zip(batch) {
                        let [a, b, c] = words;
                        let alone = rank_analogy_with(engine, rows, limit, [a, b, c], method, 5, exclude);
                        match (alone, together) {
                            // The exact engine scans a batch with the batched kernel, whose sums
                            // may differ in the last bit.
                            (Ok(alone), Ok(together)) => {
                                let rows = |found: &[Neighbor]| found.iter().map(|n| n.row).collect::<Vec<_>>();
                                assert_eq!(rows(&alone), rows(&together), "{method} {exclude:?}");
                                for (a, t) in alone.iter().zip(&together) {
                                    assert!((a.score - t.score).abs() <= 1e-6, "{method}: {a:?} {t:?}");
                                }
                            }
                            (Err(Error::ZeroQuery), Err(Error::ZeroQuery)) => {}
                            (alone, together) => panic!("{method} {exclude:?}: {alone:?} alone, {together:?} together"),
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn degenerate_questions_are_refused_on_every_path() {
        let data = random_rows(20, 4, 9);
        let norms = row_norms(&data, 4);
        let rows = Rows::new(&data, 4, &norms);
        let a = unit(rows.row(0));
        for engine in [&ExactCandidates as &dyn SearchEngine, &Exact] {
            let pair = rank_analogy_with(engine, rows, 20, [&a, &a, &a], AnalogyMethod::Pair, 3, &[0]);
            assert!(matches!(pair, Err(Error::ZeroQuery)), "{}", engine.name());
        }
    }
}

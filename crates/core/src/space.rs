//! A word space: a vocabulary, a matrix with one row per word, and the operations on them.

use std::fmt;

use crate::direction::Directions;
use crate::encoder::TextEncoder;
use crate::expr::{self, EvalError, Expr, ResolveError, Resolver, Value};
use crate::search::{self, Exact, Metric, Rows, Scoring, SearchEngine};
use crate::subwords::Subwords;
use crate::{Error, Result, Vocabulary, WordList, spelling};

/// Row-major `f32` storage with a stored Euclidean norm per row.
///
/// [`DenseMatrix`] holds it in memory; the native file format maps it straight from disk.
pub trait Matrix: Send + Sync + fmt::Debug {
    fn dims(&self) -> usize;
    /// All rows back to back (`rows × dims` values).
    fn data(&self) -> &[f32];
    /// The Euclidean length of each row.
    fn norms(&self) -> &[f32];
    fn rows(&self) -> usize {
        self.norms().len()
    }
    /// Checks that the storage is still whole: a memory-mapped file truncated by someone else
    /// would fault on the next read of its lost pages. In memory, always.
    fn check_intact(&self) -> Result<()> {
        Ok(())
    }
}

/// A matrix held in memory.
#[derive(Clone)]
pub struct DenseMatrix {
    data: Vec<f32>,
    dims: usize,
    norms: Vec<f32>,
}

impl DenseMatrix {
    /// Takes `data` as rows of `dims` values and computes the norms.
    pub fn new(data: Vec<f32>, dims: usize) -> Result<Self> {
        if dims == 0 {
            return Err(Error::ZeroDimensions);
        }
        if !data.len().is_multiple_of(dims) {
            return Err(Error::ShapeMismatch { rows: data.len() / dims, dims, values: data.len() });
        }
        let norms = search::row_norms(&data, dims);
        Ok(DenseMatrix { data, dims, norms })
    }

    pub fn into_data(self) -> Vec<f32> {
        self.data
    }
}

impl fmt::Debug for DenseMatrix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DenseMatrix").field("rows", &self.norms.len()).field("dims", &self.dims).finish()
    }
}

impl Matrix for DenseMatrix {
    fn dims(&self) -> usize {
        self.dims
    }
    fn data(&self) -> &[f32] {
        &self.data
    }
    fn norms(&self) -> &[f32] {
        &self.norms
    }
}

/// Options for [`Space::query`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueryOptions {
    /// How many neighbours to return (default 10).
    pub top: usize,
    pub metric: Metric,
    /// Unit-normalise word vectors before arithmetic and comparison (default `true`, as gensim).
    pub unit: bool,
    /// Keep the expression's own words among the results (default `false`).
    pub include_inputs: bool,
}

impl Default for QueryOptions {
    fn default() -> Self {
        QueryOptions { top: 10, metric: Metric::Cosine, unit: true, include_inputs: false }
    }
}

impl QueryOptions {
    pub fn top(mut self, top: usize) -> Self {
        self.top = top;
        self
    }
    pub fn metric(mut self, metric: Metric) -> Self {
        self.metric = metric;
        self
    }
    pub fn raw(mut self, raw: bool) -> Self {
        self.unit = !raw;
        self
    }
    pub fn include_inputs(mut self, include: bool) -> Self {
        self.include_inputs = include;
        self
    }
    pub fn scoring(&self) -> Scoring {
        Scoring { metric: self.metric, unit_rows: self.unit }
    }
}

/// A word with its row and score.
#[derive(Debug, Clone, PartialEq)]
pub struct Scored {
    pub word: String,
    pub row: usize,
    pub score: f32,
}

/// The answer to a query: the expression as parsed (canonical form) and its neighbours.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryAnswer {
    pub expression: String,
    pub vector: Vec<f32>,
    pub results: Vec<Scored>,
}

/// A set of words with one vector each.
#[derive(Debug)]
pub struct Space {
    vocab: Box<dyn Vocabulary>,
    matrix: Box<dyn Matrix>,
    metadata: Vec<(String, String)>,
    /// How neighbour queries are answered: the exact scan unless another engine is set.
    engine: Box<dyn SearchEngine>,
    /// Vectors for words outside the vocabulary, from character n-grams (fastText models).
    subwords: Option<Subwords>,
    /// Vectors for any text, from a sentence encoder (spaces whose words are texts).
    encoder: Option<Box<dyn TextEncoder>>,
}

/// How a name that is not a word of a space still gets a vector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Derivation {
    /// The mean of its character n-grams' rows, `ngrams` of them (fastText).
    Subwords { ngrams: usize, minn: usize, maxn: usize },
    /// Embedded by the space's sentence encoder.
    Encoded { encoder: String },
}

impl Space {
    /// Joins a vocabulary and a matrix with the same number of rows.
    pub fn new(vocab: Box<dyn Vocabulary>, matrix: Box<dyn Matrix>) -> Result<Self> {
        if vocab.len() != matrix.rows() {
            return Err(Error::ShapeMismatch { rows: vocab.len(), dims: matrix.dims(), values: matrix.data().len() });
        }
        if matrix.dims() == 0 {
            return Err(Error::ZeroDimensions);
        }
        check_row_lengths(vocab.as_ref(), matrix.as_ref())?;
        Ok(Space { vocab, matrix, metadata: Vec::new(), engine: Box::new(Exact), subwords: None, encoder: None })
    }

    /// Builds an in-memory space; every value must be finite and every word distinct.
    pub fn from_rows(words: Vec<String>, data: Vec<f32>, dims: usize) -> Result<Self> {
        if dims == 0 {
            return Err(Error::ZeroDimensions);
        }
        if data.len() != words.len() * dims {
            return Err(Error::ShapeMismatch { rows: words.len(), dims, values: data.len() });
        }
        if let Some(index) = data.iter().position(|x| !x.is_finite()) {
            let row = index / dims;
            return Err(Error::NonFinite { row, word: words[row].clone(), dim: index % dims });
        }
        let vocab = WordList::new(words)?;
        Space::new(Box::new(vocab), Box::new(DenseMatrix::new(data, dims)?))
    }

    /// Attaches a descriptive key/value pair (source, license, …), kept by the native format.
    pub fn with_metadata(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.metadata.push((key.into(), value.into()));
        self
    }

    pub fn metadata(&self) -> &[(String, String)] {
        &self.metadata
    }

    /// Gives words outside the vocabulary the mean of their n-gram rows in `subwords`, which must
    /// have the space's dimensions.
    pub fn with_subwords(mut self, subwords: Subwords) -> Result<Self> {
        if subwords.dims() != self.dims() {
            return Err(Error::DimensionMismatch { expected: self.dims(), found: subwords.dims() });
        }
        self.subwords = Some(subwords);
        Ok(self)
    }

    /// The n-gram table that gives unknown words vectors, if the space has one.
    pub fn subwords(&self) -> Option<&Subwords> {
        self.subwords.as_ref()
    }

    /// Gives any text outside the vocabulary the vector `encoder` makes of it; the encoder must
    /// have the space's dimensions.
    pub fn with_encoder(mut self, encoder: Box<dyn TextEncoder>) -> Result<Self> {
        self.set_encoder(encoder)?;
        Ok(self)
    }

    /// [`Space::with_encoder`] in place.
    pub fn set_encoder(&mut self, encoder: Box<dyn TextEncoder>) -> Result<()> {
        if encoder.dims() != self.dims() {
            return Err(Error::DimensionMismatch { expected: self.dims(), found: encoder.dims() });
        }
        self.encoder = Some(encoder);
        Ok(())
    }

    /// The sentence encoder that gives texts outside the vocabulary vectors, if the space has one.
    pub fn encoder(&self) -> Option<&dyn TextEncoder> {
        self.encoder.as_deref()
    }

    /// How `word`, if it is not a word of the space, gets a vector: from its n-grams (with
    /// subwords; a word with none has no vector), or from the sentence encoder. `None` for a word
    /// of the space and for a word without a vector.
    pub fn derivation(&self, word: &str) -> Option<Derivation> {
        if self.vocab.row(word).is_some() {
            return None;
        }
        if let Some(table) = &self.subwords {
            let ngrams = table.buckets_of(word).len();
            return (ngrams > 0).then_some(Derivation::Subwords { ngrams, minn: table.minn(), maxn: table.maxn() });
        }
        self.encoder.as_ref().map(|encoder| Derivation::Encoded { encoder: encoder.name().to_owned() })
    }

    /// Whether `word` has a vector: a word of the space, or one it can derive (see
    /// [`Space::derivation`]; an encoder may still refuse a text, such as one with no tokens).
    pub fn has_vector(&self, word: &str) -> bool {
        self.vocab.row(word).is_some() || self.derivation(word).is_some()
    }

    /// The vector of `word`, scaled to unit length if `unit`: its row; or, in a space with
    /// subwords, the mean of its n-gram rows (gensim's `FastTextKeyedVectors.get_vector`); or, in
    /// a space with an encoder, the text's embedding. Otherwise an error that suggests the nearest
    /// spellings.
    pub fn word_vector(&self, word: &str, unit: bool) -> Result<Vec<f32>> {
        if let Some(row) = self.vocab.row(word) {
            return Ok(if unit { self.unit_vector(row) } else { self.raw_vector(row).to_vec() });
        }
        let vector = match (self.derivation(word), &self.subwords, &self.encoder) {
            (Some(Derivation::Subwords { .. }), Some(subwords), _) => subwords.vector(word).ok_or_else(|| {
                Error::Subwords(format!("the n-gram vectors of {word:?} are not finite: the table is damaged"))
            })?,
            (Some(Derivation::Encoded { .. }), _, Some(encoder)) => {
                let vector = encoder.encode(word).map_err(|message| Error::Encoding {
                    text: word.to_owned(),
                    encoder: encoder.name().to_owned(),
                    message,
                })?;
                if vector.len() != self.dims() || vector.iter().any(|x| !x.is_finite()) {
                    return Err(Error::Encoding {
                        text: word.to_owned(),
                        encoder: encoder.name().to_owned(),
                        message: format!("gave {} values, not {} finite ones", vector.len(), self.dims()),
                    });
                }
                vector
            }
            _ => return Err(self.unknown(word)),
        };
        Ok(if unit { unit_length(vector) } else { vector })
    }

    /// The names of an expression that are not words of the space but have a vector derived
    /// otherwise (see [`Space::derivation`]): what a reader should be told was made up rather than
    /// looked up.
    pub fn derived_names<'e>(&self, expr: &'e Expr) -> Vec<(&'e str, Derivation)> {
        expr.names()
            .into_iter()
            .filter(|name| !name.starts_with('@'))
            .filter_map(|name| self.derivation(name).map(|how| (name, how)))
            .collect()
    }

    pub fn len(&self) -> usize {
        self.vocab.len()
    }

    pub fn is_empty(&self) -> bool {
        self.vocab.is_empty()
    }

    pub fn dims(&self) -> usize {
        self.matrix.dims()
    }

    pub fn vocab(&self) -> &dyn Vocabulary {
        self.vocab.as_ref()
    }

    pub fn matrix(&self) -> &dyn Matrix {
        self.matrix.as_ref()
    }

    /// The matrix as a search view.
    /// Answers neighbour queries ([`Space::nearest`], [`Space::query`], …) with `engine` from now on.
    pub fn set_engine(&mut self, engine: Box<dyn SearchEngine>) {
        self.engine = engine;
    }

    /// The engine that answers neighbour queries.
    pub fn engine(&self) -> &dyn SearchEngine {
        self.engine.as_ref()
    }

    pub fn rows(&self) -> Rows<'_> {
        Rows::new(self.matrix.data(), self.matrix.dims(), self.matrix.norms())
    }

    pub fn word(&self, row: usize) -> &str {
        self.vocab.word(row)
    }

    /// The row of `word`, or an error that suggests the nearest spellings.
    pub fn lookup(&self, word: &str) -> Result<usize> {
        self.vocab.row(word).ok_or_else(|| self.unknown(word))
    }

    /// The error for a word the space has no vector for, with the nearest spellings.
    fn unknown(&self, word: &str) -> Error {
        Error::UnknownWord { word: word.to_owned(), suggestions: spelling::nearest_spellings(word, self.vocab(), 5) }
    }

    /// The stored (raw) vector of a row.
    pub fn raw_vector(&self, row: usize) -> &[f32] {
        self.rows().row(row)
    }

    /// The vector of a row scaled to unit length (a zero row stays zero).
    pub fn unit_vector(&self, row: usize) -> Vec<f32> {
        let norm = self.matrix.norms()[row];
        let scale = if norm > 0.0 { 1.0 / norm } else { 0.0 };
        self.raw_vector(row).iter().map(|x| x * scale).collect()
    }

    /// A resolver that looks names up as words, unit-normalised if `unit`.
    pub fn resolver(&self, unit: bool) -> WordResolver<'_> {
        WordResolver { space: self, unit }
    }

    /// Parses and evaluates an expression over this space's words.
    pub fn evaluate(&self, source: &str, unit: bool) -> Result<(Expr, Value)> {
        self.evaluate_with(source, unit, &Directions::new())
    }

    /// [`Space::evaluate`] with `@name` standing for the named directions.
    pub fn evaluate_with(&self, source: &str, unit: bool, directions: &Directions) -> Result<(Expr, Value)> {
        let expr = expr::parse(source)?;
        let value = self.evaluate_parsed(&expr, source, unit, directions)?;
        Ok((expr, value))
    }

    /// Evaluates an expression already parsed from `source` (the text is kept for the error's
    /// caret line).
    pub fn evaluate_parsed(&self, expr: &Expr, source: &str, unit: bool, directions: &Directions) -> Result<Value> {
        crate::direction::evaluate_with(expr, source, self.resolver(unit), directions)
    }

    /// The rows of the words an expression names: what a query leaves out of its answers unless
    /// asked to include them.
    pub fn input_rows(&self, expr: &Expr) -> Vec<usize> {
        expr.names().iter().filter_map(|name| self.vocab.row(name)).collect()
    }

    /// Each row's scalar projection on the unit vector of `direction` (rows unit-normalised if
    /// `unit`): where every word lies along it.
    pub fn projections(&self, direction: &[f32], unit: bool) -> Result<Vec<f32>> {
        if direction.len() != self.dims() {
            return Err(Error::DimensionMismatch { expected: self.dims(), found: direction.len() });
        }
        let length = length(direction);
        if length == 0.0 {
            return Err(Error::ZeroQuery);
        }
        let axis: Vec<f32> = direction.iter().map(|&x| (f64::from(x) / length) as f32).collect();
        Ok(search::all_scores(self.rows(), &axis, Scoring { metric: Metric::Dot, unit_rows: unit }))
    }

    /// The neighbours of an expression such as `king - man + woman`.
    ///
    /// With the default options this matches gensim's `most_similar`: each word is unit-normalised,
    /// results are ranked by cosine, and the expression's words are left out.
    pub fn query(&self, source: &str, options: &QueryOptions) -> Result<QueryAnswer> {
        self.query_with(source, options, &Directions::new())
    }

    /// [`Space::query`] with `@name` standing for the named directions.
    pub fn query_with(&self, source: &str, options: &QueryOptions, directions: &Directions) -> Result<QueryAnswer> {
        let (expr, value) = self.evaluate_with(source, options.unit, directions)?;
        let vector = match value {
            Value::Vector(vector) => vector,
            Value::Scalar(value) => return Err(Error::ScalarQuery { value }),
        };
        let exclude: Vec<usize> = if options.include_inputs { Vec::new() } else { self.input_rows(&expr) };
        let results = self.nearest_with(&vector, options.top, options.scoring(), &exclude)?;
        Ok(QueryAnswer { expression: expr.to_string(), vector, results })
    }

    /// Checks that the space's storage is still whole (see [`Matrix::check_intact`]): for a
    /// long-running process, before each piece of work.
    pub fn check_intact(&self) -> Result<()> {
        self.matrix.check_intact()
    }

    /// The `k` words nearest `vector` by cosine, skipping the rows in `exclude`.
    pub fn nearest(&self, vector: &[f32], k: usize, exclude: &[usize]) -> Result<Vec<Scored>> {
        self.nearest_with(vector, k, Scoring::default(), exclude)
    }

    /// The `k` words nearest `vector` under `scoring`, skipping the rows in `exclude`.
    pub fn nearest_with(&self, vector: &[f32], k: usize, scoring: Scoring, exclude: &[usize]) -> Result<Vec<Scored>> {
        self.check_query(vector, scoring)?;
        let query = searchable(vector, scoring);
        // No engine can answer more than every row; the bound keeps their arithmetic in range.
        let k = k.min(self.len());
        Ok(self.named(self.engine.nearest(self.rows(), &query, k, scoring, exclude)?))
    }

    /// [`Space::nearest_with`] with only the first `limit` rows as answers: a vocabulary restricted
    /// to its most frequent words (gensim's `restrict_vocab`), through the space's engine.
    pub fn nearest_below(
        &self,
        vector: &[f32],
        limit: usize,
        k: usize,
        scoring: Scoring,
        exclude: &[usize],
    ) -> Result<Vec<Scored>> {
        self.check_query(vector, scoring)?;
        let query = searchable(vector, scoring);
        let limit = limit.min(self.len());
        let hits = self.engine.nearest_below(self.rows(), limit, &query, k.min(limit), scoring, exclude)?;
        Ok(self.named(hits))
    }

    /// Many queries at once (`queries` holds `n × dims` values), one exclusion list per query or
    /// none. Much faster than one call per query: see [`search::nearest_batch`].
    pub fn nearest_batch(
        &self,
        queries: &[f32],
        k: usize,
        scoring: Scoring,
        exclude: &[Vec<usize>],
    ) -> Result<Vec<Vec<Scored>>> {
        let dims = self.dims();
        if !queries.len().is_multiple_of(dims) {
            return Err(Error::DimensionMismatch { expected: dims, found: queries.len() % dims });
        }
        let mut scaled = Vec::new();
        for query in queries.chunks_exact(dims) {
            self.check_query(query, scoring)?;
            if scoring.metric == Metric::Cosine {
                scaled.extend_from_slice(&searchable(query, scoring));
            }
        }
        let queries = if scaled.is_empty() { queries } else { &scaled };
        if !exclude.is_empty() && exclude.len() != queries.len() / dims {
            return Err(Error::ShapeMismatch { rows: queries.len() / dims, dims, values: exclude.len() });
        }
        let k = k.min(self.len());
        let hits = self.engine.nearest_batch(self.rows(), queries, k, scoring, exclude)?;
        Ok(hits.into_iter().map(|hits| self.named(hits)).collect())
    }

    /// Cosine similarity of two words (gensim's `similarity`); with subwords, unknown words too.
    pub fn similarity(&self, a: &str, b: &str) -> Result<f32> {
        Ok(cosine(&self.word_vector(a, false)?, &self.word_vector(b, false)?))
    }

    /// Checks that `vector` can be searched under `scoring`: the space's dimensions, finite values,
    /// not zero where the metric needs a direction, and, where the metric uses its length, a
    /// length whose square single precision holds (else every score would be 0, infinite or NaN).
    pub fn check_query(&self, vector: &[f32], scoring: Scoring) -> Result<()> {
        if vector.len() != self.dims() {
            return Err(Error::DimensionMismatch { expected: self.dims(), found: vector.len() });
        }
        if vector.iter().any(|x| !x.is_finite()) {
            return Err(Error::NonFiniteQuery);
        }
        let squared = squared_length(vector);
        if scoring.metric == Metric::Cosine {
            // Cosine ignores length: the query is scaled to unit length in f64 before the search,
            // so only a vector made wholly of subnormal values, whose direction single precision
            // has already blurred, is refused.
            let largest = vector.iter().fold(0.0f32, |m, x| m.max(x.abs()));
            return match largest {
                0.0 => Err(Error::ZeroQuery),
                _ if largest < f32::MIN_POSITIVE => {
                    Err(Error::QueryLength { length: squared.sqrt(), metric: "cosine" })
                }
                _ => Ok(()),
            };
        }
        if squared > MAX_SQUARED_LENGTH || (squared != 0.0 && squared < f64::from(f32::MIN_POSITIVE)) {
            let metric = if scoring.metric == Metric::Dot { "dot-product" } else { "Euclidean" };
            return Err(Error::QueryLength { length: squared.sqrt(), metric });
        }
        Ok(())
    }

    pub(crate) fn named(&self, hits: Vec<search::Neighbor>) -> Vec<Scored> {
        hits.into_iter()
            .map(|hit| Scored { word: self.word(hit.row).to_owned(), row: hit.row, score: hit.score })
            .collect()
    }
}

/// Euclidean length, accumulated in f64 so long vectors keep full precision.
pub fn length(v: &[f32]) -> f64 {
    squared_length(v).sqrt()
}

fn squared_length(v: &[f32]) -> f64 {
    v.iter().map(|&x| f64::from(x) * f64::from(x)).sum::<f64>()
}

/// The largest squared length of a row or a length-sensitive query. Searches take dot products
/// and squared lengths in single precision, and a Euclidean score adds up to four of them, so
/// this keeps every intermediate finite (3.4e38 is `f32::MAX`); real embeddings are shorter by
/// thirty orders of magnitude.
pub const MAX_SQUARED_LENGTH: f64 = 1e37;

/// Refuses rows too long to search (see [`MAX_SQUARED_LENGTH`]), naming the first.
fn check_row_lengths(vocab: &dyn Vocabulary, matrix: &dyn Matrix) -> Result<()> {
    let too_long = |norm: f32| norm.is_nan() || f64::from(norm) * f64::from(norm) > MAX_SQUARED_LENGTH;
    let Some(row) = matrix.norms().iter().position(|&norm| too_long(norm)) else { return Ok(()) };
    let dims = matrix.dims();
    let values = &matrix.data()[row * dims..(row + 1) * dims];
    let word = vocab.word(row).to_owned();
    match values.iter().position(|x| !x.is_finite()) {
        Some(dim) => Err(Error::NonFinite { row, word, dim }),
        None => Err(Error::RowTooLong { row, word, length: length(values) }),
    }
}

/// The query as the search engine gets it: under cosine, scaled to unit length in f64, so that
/// neither a huge nor a tiny query loses its direction to single-precision overflow or underflow.
pub(crate) fn searchable(vector: &[f32], scoring: Scoring) -> std::borrow::Cow<'_, [f32]> {
    if scoring.metric != Metric::Cosine {
        return std::borrow::Cow::Borrowed(vector);
    }
    let length = length(vector);
    std::borrow::Cow::Owned(vector.iter().map(|&x| (f64::from(x) / length) as f32).collect())
}

/// Cosine similarity (accumulated in f64), 0 when either vector is zero.
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let (mut ab, mut aa, mut bb) = (0.0f64, 0.0f64, 0.0f64);
    for (&x, &y) in a.iter().zip(b) {
        let (x, y) = (f64::from(x), f64::from(y));
        ab += x * y;
        aa += x * x;
        bb += y * y;
    }
    if aa == 0.0 || bb == 0.0 { 0.0 } else { (ab / (aa * bb).sqrt()) as f32 }
}

/// Resolves names as words of a [`Space`].
#[derive(Debug, Clone, Copy)]
pub struct WordResolver<'a> {
    space: &'a Space,
    unit: bool,
}

impl Resolver for WordResolver<'_> {
    fn dims(&self) -> usize {
        self.space.dims()
    }

    /// A word of the space, else its n-gram mean or its embedding: see [`Space::word_vector`].
    fn resolve(&self, name: &str) -> std::result::Result<Vec<f32>, ResolveError> {
        self.space.word_vector(name, self.unit).map_err(|error| match error {
            Error::UnknownWord { suggestions, .. } => ResolveError::Unknown { suggestions },
            other => ResolveError::Failed(other.to_string()),
        })
    }

    /// The sample standard deviation of every word's projection on the direction's unit vector.
    fn spread(&self, direction: &[f32]) -> Option<f64> {
        let projections = self.space.projections(direction, self.unit).ok()?;
        let finite: Vec<f64> = projections.iter().filter(|p| p.is_finite()).map(|&p| f64::from(p)).collect();
        let n = finite.len() as f64;
        if n < 2.0 {
            return None;
        }
        let mean = finite.iter().sum::<f64>() / n;
        Some((finite.iter().map(|p| (p - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt())
    }
}

/// `vector` scaled to unit length in f64 (a zero vector stays zero).
fn unit_length(vector: Vec<f32>) -> Vec<f32> {
    let length = length(&vector);
    if length == 0.0 {
        return vector;
    }
    vector.iter().map(|&x| (f64::from(x) / length) as f32).collect()
}

/// An evaluation error together with the expression it happened in.
pub(crate) fn describe_expression_error(source: &str, error: &EvalError) -> String {
    format!("{error}\n{}", error.span.underline(source))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toy() -> Space {
        Space::from_rows(
            ["a", "b", "c", "d"].map(String::from).to_vec(),
            vec![1.0, 0.0, 0.0, 1.0, 1.0, 1.0, -1.0, 0.0],
            2,
        )
        .unwrap()
    }

    /// Gives every text the vector (number of characters, 1), except texts starting with `!`.
    #[derive(Debug)]
    struct Lengths;

    impl TextEncoder for Lengths {
        fn name(&self) -> &str {
            "lengths"
        }
        fn dims(&self) -> usize {
            2
        }
        fn encode(&self, text: &str) -> std::result::Result<Vec<f32>, String> {
            if text.starts_with('!') { Err("refused".into()) } else { Ok(vec![text.chars().count() as f32, 1.0]) }
        }
    }

    #[test]
    fn words_outside_the_vocabulary_come_from_subwords_or_the_encoder() {
        let table = Subwords::new(2, 3, 3, 2, Box::new(vec![1.0, 0.0, 0.0, 1.0, 1.0, 1.0])).unwrap();
        let fasttext = toy().with_subwords(table).unwrap();
        assert!(fasttext.has_vector("a") && fasttext.has_vector("zzz"));
        assert_eq!(fasttext.derivation("a"), None);
        let Some(Derivation::Subwords { ngrams, minn: 2, maxn: 3 }) = fasttext.derivation("zzz") else { panic!() };
        assert_eq!(ngrams, crate::subwords::ngram_buckets("zzz", 2, 3, 3).len());
        assert_eq!(fasttext.word_vector("zzz", false).unwrap(), fasttext.subwords().unwrap().vector("zzz").unwrap());
        let unit = fasttext.word_vector("zzz", true).unwrap();
        assert!((length(&unit) - 1.0).abs() < 1e-6);
        let expr = crate::expr::parse("a + zzz - @dir").unwrap();
        assert_eq!(fasttext.derived_names(&expr).iter().map(|(n, _)| *n).collect::<Vec<_>>(), ["zzz"]);

        let texts = toy().with_encoder(Box::new(Lengths)).unwrap();
        assert_eq!(texts.derivation("hello"), Some(Derivation::Encoded { encoder: "lengths".into() }));
        assert_eq!(texts.word_vector("hello", false).unwrap(), [5.0, 1.0]);
        let (_, value) = texts.evaluate("\"hello\" - a", false).unwrap();
        assert_eq!(value.into_vector().unwrap(), [4.0, 1.0]);
        // What the encoder refuses is an error that names it; without either, unknown words are.
        let err = texts.evaluate("\"!x\" + a", false).unwrap_err().to_string();
        assert!(err.contains("cannot embed \"!x\" with lengths: refused"), "{err}");
        assert!(matches!(toy().word_vector("zzz", true), Err(Error::UnknownWord { .. })));
        assert!(toy().with_encoder(Box::new(Lengths)).is_ok());
        assert!(Space::from_rows(vec!["x".into()], vec![1.0; 3], 3).unwrap().with_encoder(Box::new(Lengths)).is_err());
    }

    #[test]
    fn query_excludes_its_own_words_unless_asked() {
        let space = toy();
        let answer = space.query("a", &QueryOptions::default().top(2)).unwrap();
        assert_eq!(answer.results.iter().map(|s| s.word.as_str()).collect::<Vec<_>>(), ["c", "b"]);
        let answer = space.query("a", &QueryOptions::default().top(1).include_inputs(true)).unwrap();
        assert_eq!(answer.results[0].word, "a");
        assert!((answer.results[0].score - 1.0).abs() < 1e-6);
    }

    #[test]
    fn bad_rows_are_rejected_when_building() {
        let err = Space::from_rows(vec!["x".into()], vec![f32::NAN, 1.0], 2).unwrap_err();
        assert!(matches!(err, Error::NonFinite { row: 0, dim: 0, .. }), "{err}");
        let err = Space::from_rows(vec!["x".into()], vec![1.0], 2).unwrap_err();
        assert!(matches!(err, Error::ShapeMismatch { .. }), "{err}");
    }

    #[test]
    fn rows_too_long_for_single_precision_are_rejected_when_building() {
        let err = Space::from_rows(vec!["x".into(), "y".into()], vec![1.0, 0.0, 3e38, 3e38], 2).unwrap_err();
        assert!(matches!(err, Error::RowTooLong { row: 1, .. }), "{err}");
        assert!(err.to_string().contains("(\"y\") is 4.243e38 long"), "{err}");
        // Long but searchable rows are fine.
        Space::from_rows(vec!["x".into()], vec![1e18, 1e18], 2).unwrap();
    }

    fn words(results: &[Scored]) -> Vec<(&str, f32)> {
        results.iter().map(|s| (s.word.as_str(), s.score)).collect()
    }

    #[test]
    fn huge_and_tiny_queries_keep_their_direction_under_cosine() {
        let space = toy();
        let options = QueryOptions::default().top(3);
        let plain = space.query("a + 0.5*b", &options).unwrap();
        for scale in ["1e20", "1e38", "1e-30", "1e-37"] {
            let scaled = space.query(&format!("{scale}*(a + 0.5*b)"), &options).unwrap();
            assert_eq!(words(&scaled.results), words(&plain.results), "scaled by {scale}");
        }
        // Wholly subnormal, the vector has lost its direction already: refused, not guessed.
        let err = space.query("1e-44*(a + 0.5*b)", &options).unwrap_err();
        assert!(err.to_string().contains("underflows single precision in a cosine search"), "{err}");
    }

    #[test]
    fn length_sensitive_searches_refuse_queries_single_precision_cannot_square() {
        let space = toy();
        for (metric, raw) in [(Metric::Dot, true), (Metric::Dot, false), (Metric::Euclidean, true)] {
            let options = QueryOptions::default().metric(metric).raw(raw);
            for (expression, says) in [("1e20*a", "overflows"), ("1e-30*a", "underflows")] {
                let err = space.query(expression, &options).unwrap_err();
                assert!(matches!(err, Error::QueryLength { .. }), "{expression}: {err}");
                assert!(err.to_string().contains(says), "{err}");
            }
            assert_eq!(space.query("1e15*a", &options.top(1)).unwrap().results.len(), 1);
        }
    }

    #[test]
    fn unknown_words_in_queries_show_where_they_are() {
        let err = toy().query("a + e", &QueryOptions::default()).unwrap_err();
        let message = err.to_string();
        assert!(message.starts_with("unknown word \"e\"; did you mean \"a\""), "{message}");
        assert!(message.ends_with("  a + e\n      ^"), "{message}");
    }

    #[test]
    fn scalar_expressions_are_not_queries() {
        let err = toy().query("cos(a, b)", &QueryOptions::default()).unwrap_err();
        assert!(matches!(err, Error::ScalarQuery { .. }));
        assert!(matches!(toy().query("a - a", &QueryOptions::default()), Err(Error::ZeroQuery)));
    }
}

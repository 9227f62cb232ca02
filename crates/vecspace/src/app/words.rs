//! Questions asked of a word space: an expression's value or neighbours (parsed once, `@name`s
//! resolved from the direction store), the similarity of two expressions, and words placed along
//! a direction.

use super::{DirectionStore, Error, Result};
use crate::{Direction, Expr, QueryAnswer, QueryOptions, Space, Value};

/// What an expression is, once evaluated: a number (`cos(king, queen)`), or a vector whose
/// neighbours are wanted.
#[derive(Debug)]
pub enum Evaluated {
    Scalar { expression: String, value: f64 },
    Vector(VectorQuery),
}

/// A vector expression ready to be searched: the query vector and the rows to leave out.
#[derive(Debug)]
pub struct VectorQuery {
    /// The expression in canonical form.
    pub expression: String,
    pub vector: Vec<f32>,
    /// The expression's own words, unless the options include them.
    pub exclude: Vec<usize>,
}

/// The answer to a query: a number, or neighbours.
#[derive(Debug)]
pub enum Answer {
    Scalar { expression: String, value: f64 },
    Neighbours(QueryAnswer),
}

/// Parses `source` once, loads the directions it names, and evaluates it; a vector is checked
/// (finite, and not zero where the metric needs a direction) before any search.
pub fn evaluate(space: &Space, store: &DirectionStore, source: &str, options: &QueryOptions) -> Result<Evaluated> {
    let expr = crate::expr::parse(source).map_err(crate::Error::from)?;
    let value = evaluate_parsed(space, store, &expr, source, options.unit)?;
    match value {
        Value::Scalar(value) => Ok(Evaluated::Scalar { expression: expr.to_string(), value }),
        Value::Vector(vector) => {
            space.check_query(&vector, options.scoring())?;
            let exclude = if options.include_inputs { Vec::new() } else { space.input_rows(&expr) };
            Ok(Evaluated::Vector(VectorQuery { expression: expr.to_string(), vector, exclude }))
        }
    }
}

fn evaluate_parsed(space: &Space, store: &DirectionStore, expr: &Expr, source: &str, unit: bool) -> Result<Value> {
    let directions = store.referenced(expr, space.dims())?;
    Ok(space.evaluate_parsed(expr, source, unit, &directions)?)
}

/// The value or the neighbours of an expression such as `king - man + woman - @gender`.
pub fn query(space: &Space, store: &DirectionStore, source: &str, options: &QueryOptions) -> Result<Answer> {
    match evaluate(space, store, source, options)? {
        Evaluated::Scalar { expression, value } => Ok(Answer::Scalar { expression, value }),
        Evaluated::Vector(VectorQuery { expression, vector, exclude }) => {
            let results = space.nearest_with(&vector, options.top, options.scoring(), &exclude)?;
            Ok(Answer::Neighbours(QueryAnswer { expression, vector, results }))
        }
    }
}

/// What a reader should be told about an expression's words: each name that is not a word of
/// the space but got a vector anyway, from its character n-grams (fastText's subwords) or from the
/// space's sentence encoder. Nothing for an expression that does not parse (its error says more).
pub fn derived_notes(space: &Space, source: &str) -> Vec<String> {
    let Ok(expr) = crate::expr::parse(source) else { return Vec::new() };
    space.derived_names(&expr).into_iter().map(|(name, how)| note(name, &how)).collect()
}

/// The note for one word, if it is not a word of the space but gets a vector anyway.
pub fn derived_note(space: &Space, word: &str) -> Option<String> {
    space.derivation(word).map(|how| note(word, &how))
}

fn note(word: &str, how: &crate::Derivation) -> String {
    match how {
        crate::Derivation::Subwords { ngrams, minn, maxn } => format!(
            "{word:?} is not in the vocabulary; its vector is the mean of its {ngrams} character n-gram{} ({minn}–{maxn} characters)",
            if *ngrams == 1 { "" } else { "s" },
        ),
        crate::Derivation::Encoded { encoder } => format!("{word:?} is not one of the texts; embedded with {encoder}"),
    }
}

/// The vector of an expression; a number is an error naming the expression.
pub fn vector(space: &Space, store: &DirectionStore, source: &str, unit: bool) -> Result<Vec<f32>> {
    let expr = crate::expr::parse(source).map_err(crate::Error::from)?;
    match evaluate_parsed(space, store, &expr, source, unit)? {
        Value::Vector(vector) => Ok(vector),
        Value::Scalar(_) => Err(Error::invalid(format!("{source:?} is a number, not a vector"))),
    }
}

/// The cosine similarity of two expressions' vectors (words are expressions too).
pub fn similarity(space: &Space, store: &DirectionStore, a: &str, b: &str, unit: bool) -> Result<f32> {
    let (x, y) = (vector(space, store, a, unit)?, vector(space, store, b, unit)?);
    if x.iter().all(|&v| v == 0.0) || y.iter().all(|&v| v == 0.0) {
        return Err(Error::invalid("one side is the zero vector, so cosine similarity is undefined"));
    }
    Ok(crate::cosine(&x, &y))
}

/// A word and its scalar projection on a direction's unit vector.
#[derive(Debug, Clone, PartialEq)]
pub struct Placed {
    pub word: String,
    pub projection: f32,
}

/// Rows sorted from the most positive projection down (ties by row), non-finite ones left out.
fn ranked(projections: &[f32], rows: impl Iterator<Item = usize>) -> Vec<usize> {
    let mut order: Vec<usize> = rows.filter(|&r| projections[r].is_finite()).collect();
    order.sort_by(|&a, &b| projections[b].total_cmp(&projections[a]).then(a.cmp(&b)));
    order
}

fn placed(space: &Space, projections: &[f32], rows: &[usize]) -> Vec<Placed> {
    rows.iter().map(|&r| Placed { word: space.word(r).to_owned(), projection: projections[r] }).collect()
}

/// The words at the two ends of a direction: the `top` most positive (first the most positive)
/// and the `top` most negative (first the most negative), among the first `restrict` words.
pub fn ends(space: &Space, direction: &Direction, top: usize, restrict: usize) -> Result<(Vec<Placed>, Vec<Placed>)> {
    let projections = space.projections(&direction.vector, true)?;
    let order = ranked(&projections, 0..restrict.min(space.len()));
    let positive: Vec<usize> = order.iter().take(top).copied().collect();
    let negative: Vec<usize> = order.iter().rev().take(top).copied().collect();
    Ok((placed(space, &projections, &positive), placed(space, &projections, &negative)))
}

/// Words placed along a direction, most positive first: the given words, or with none the `top`
/// words at each end among the first `restrict`.
pub fn along(
    space: &Space,
    direction: &Direction,
    words: &[String],
    top: Option<usize>,
    restrict: usize,
) -> Result<Vec<Placed>> {
    let projections = space.projections(&direction.vector, true)?;
    let mut rows: Vec<usize> = if words.is_empty() {
        let Some(top) = top else {
            return Err(Error::invalid("name words to place, or ask for the ends with --top N"));
        };
        let order = ranked(&projections, 0..restrict.min(space.len()));
        let mut ends: Vec<usize> = order.iter().take(top).copied().collect();
        ends.extend(order.iter().rev().take(top).rev());
        ends
    } else {
        words.iter().map(|w| space.lookup(w)).collect::<crate::Result<_>>()?
    };
    rows.sort_by(|&a, &b| projections[b].total_cmp(&projections[a]).then(a.cmp(&b)));
    rows.dedup();
    Ok(placed(space, &projections, &rows))
}

/// An axis of a picture: a saved direction (by name, or path where the store takes paths), or an
/// expression such as `he - she`, which may itself use `@name`.
pub fn axis(space: &Space, store: &DirectionStore, spec: &str, unit: bool) -> Result<Vec<f32>> {
    if store.exists(spec) {
        return Ok(store.load(spec, space.dims())?.vector);
    }
    vector(space, store, spec, unit)
}

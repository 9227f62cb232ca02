//! Measuring and removing bias: word lists (given, from files, or registered), the published WEAT
//! tests, and hard debiasing planned from neutral words and pairs to equalise.

use std::path::Path;

use serde_json::Value;

use super::{Error, Result};
use crate::debias::{DebiasPlan, direct_bias, hard_debias};
use crate::eval::weat::WeatSets;
use crate::fetch::{self, Cache};
use crate::progress::Progress;
use crate::{Direction, Space};

/// A word list: a file (one word a line, or comma-separated) or the words themselves, separated
/// by commas or spaces.
pub fn word_list(argument: &str) -> Result<Vec<String>> {
    let text = if Path::new(argument).is_file() {
        vecspace_core::io::read_regular_to_string(Path::new(argument), vecspace_core::io::READ_LIMIT)
            .map_err(|source| Error::Io { path: argument.into(), source })?
    } else {
        argument.to_owned()
    };
    let words: Vec<String> =
        text.split(|c: char| c == ',' || c.is_whitespace()).filter(|w| !w.is_empty()).map(str::to_owned).collect();
    if words.is_empty() {
        return Err(Error::invalid(format!("the word list {argument:?} is empty")));
    }
    Ok(words)
}

/// The registered JSON word lists of `name`, fetched on first use.
pub fn registered_lists(name: &str, progress: &dyn Progress) -> Result<Value> {
    let path = fetch::ensure(name, &Cache::from_env()?, progress)?;
    let text = vecspace_core::io::read_regular_to_string(&path, vecspace_core::io::READ_LIMIT)
        .map_err(|source| Error::Io { path: path.clone(), source })?;
    serde_json::from_str(&text).map_err(|e| Error::invalid(format!("parsing {}: {e}", path.display())))
}

/// How many WEAT tests Caliskan et al. (2017) published: WEAT 1–10.
pub const PUBLISHED_WEAT_TESTS: usize = 10;

/// The published WEAT test `number` (1 to [`PUBLISHED_WEAT_TESTS`]), checked before anything is
/// fetched.
pub fn published_weat_test(number: usize, progress: &dyn Progress) -> Result<WeatSets> {
    if !(1..=PUBLISHED_WEAT_TESTS).contains(&number) {
        return Err(Error::invalid(format!(
            "the published WEAT tests are numbered 1 to {PUBLISHED_WEAT_TESTS}, not {number}"
        )));
    }
    Ok(published_weat_tests(progress)?.swap_remove(number - 1))
}

/// The published WEAT tests (Caliskan et al. 2017), from the registered `weat` lists.
pub fn published_weat_tests(progress: &dyn Progress) -> Result<Vec<WeatSets>> {
    let lists = registered_lists("weat", progress)?;
    let broken = |what: &str| Error::invalid(format!("the weat lists are damaged: {what}"));
    let tests = lists.as_array().ok_or_else(|| broken("not a JSON array"))?;
    if tests.len() != PUBLISHED_WEAT_TESTS {
        return Err(broken(&format!("{} tests instead of {PUBLISHED_WEAT_TESTS}", tests.len())));
    }
    tests
        .iter()
        .map(|test| {
            let set = |key: &str| -> Result<(String, Vec<String>)> {
                let name = test[key]["name"].as_str().ok_or_else(|| broken("a set without a name"))?.to_owned();
                let words = test[key]["words"].as_array().ok_or_else(|| broken("a set without words"))?;
                Ok((name, words.iter().filter_map(Value::as_str).map(str::to_owned).collect()))
            };
            let (x, y, a, b) =
                (set("first_target")?, set("second_target")?, set("first_attribute")?, set("second_attribute")?);
            Ok(WeatSets { names: [x.0, y.0, a.0, b.0], targets: [x.1, y.1], attributes: [a.1, b.1] })
        })
        .collect()
}

/// A `NAME:KEY` reference to a registered JSON word list (`bolukbasi-gender:professions`), if
/// `spec` is one: the list's entries.
fn registered_entries(spec: &str, progress: &dyn Progress) -> Result<Option<Vec<Value>>> {
    let Some((name, key)) = spec.split_once(':') else { return Ok(None) };
    let Some(entry) = fetch::registry::find(name) else { return Ok(None) };
    if entry.kind != fetch::Kind::WordLists {
        return Err(Error::invalid(format!("{name} is not a word-list set (see `vecspace fetch --list`)")));
    }
    let lists = registered_lists(name, progress)?;
    // The lists sit at the top level or one object down ({"gender": {"professions": …}}).
    let found = lists.get(key).or_else(|| lists.as_object()?.values().find_map(|v| v.get(key)));
    let entries =
        found.and_then(Value::as_array).ok_or_else(|| Error::invalid(format!("{name} has no list {key:?}")))?;
    Ok(Some(entries.clone()))
}

/// Words from a list or a registered list (whose entries may be `[word, score, …]`).
pub fn words_from(spec: &str, progress: &dyn Progress) -> Result<Vec<String>> {
    match registered_entries(spec, progress)? {
        Some(entries) => {
            Ok(entries.iter().filter_map(|e| e.as_str().or_else(|| e.get(0)?.as_str())).map(str::to_owned).collect())
        }
        None => word_list(spec),
    }
}

/// Pairs from `a:b` items (commas, spaces or lines; or a file) or a registered list of pairs.
pub fn pairs_from(spec: &str, progress: &dyn Progress) -> Result<Vec<(String, String)>> {
    if let Some(entries) = registered_entries(spec, progress)? {
        return Ok(entries
            .iter()
            .filter_map(|e| Some((e.get(0)?.as_str()?.to_owned(), e.get(1)?.as_str()?.to_owned())))
            .collect());
    }
    super::directions::parse_pairs(&word_list(spec)?)
}

/// The row of a word as written, else lower-cased.
fn row_of(space: &Space, word: &str) -> Option<usize> {
    space.vocab().row(word).or_else(|| space.vocab().row(&word.to_lowercase()))
}

/// A hard-debiased space and what was done to make it.
pub struct Debiased {
    pub space: Space,
    pub neutralized: usize,
    pub equalized: usize,
    /// Words and pairs not in the space, left out.
    pub missing: Vec<String>,
    /// Direct bias (Bolukbasi et al.) of the neutral words, before and after.
    pub bias_before: f64,
    pub bias_after: f64,
}

/// Hard debiasing (Bolukbasi et al. 2016) along `direction` (called `name` in the new space's
/// metadata): the neutral words lose their component along it, each pair to equalise becomes
/// symmetric about it. A word cannot be both neutral and one side of a pair.
pub fn hard_debiased(
    space: &Space,
    direction: &Direction,
    name: &str,
    neutral_words: &[String],
    pairs: &[(String, String)],
) -> Result<Debiased> {
    let mut missing: Vec<String> = Vec::new();
    let mut neutral: Vec<usize> = neutral_words
        .iter()
        .filter_map(|w| {
            row_of(space, w).or_else(|| {
                missing.push(w.clone());
                None
            })
        })
        .collect();
    neutral.sort_unstable();
    neutral.dedup();
    if neutral.is_empty() {
        return Err(Error::invalid("none of the neutral words is in the space"));
    }
    let mut equalize: Vec<(usize, usize)> = Vec::new();
    for (a, b) in pairs {
        match (row_of(space, a), row_of(space, b)) {
            (Some(x), Some(y)) if x != y && !equalize.contains(&(x, y)) => equalize.push((x, y)),
            (Some(_), Some(_)) => {}
            _ => missing.push(format!("{a}:{b}")),
        }
    }
    neutral.retain(|row| !equalize.iter().any(|&(a, b)| a == *row || b == *row));
    let bias_before = direct_bias(space, &direction.vector, &neutral, 1.0)?;
    let debiased = hard_debias(space, &direction.vector, &DebiasPlan { neutral: &neutral, equalize: &equalize })?
        .with_metadata("debiased", format!("hard debias along {name} ({})", direction.info.examples));
    let bias_after = direct_bias(&debiased, &direction.vector, &neutral, 1.0)?;
    Ok(Debiased {
        space: debiased,
        neutralized: neutral.len(),
        equalized: equalize.len(),
        missing,
        bias_before,
        bias_after,
    })
}

/// The Google analogy accuracy (3CosAdd, gensim's defaults) of a space: what debiasing costs.
pub fn google_analogy_accuracy(space: &Space, progress: &dyn Progress) -> Result<f64> {
    let path = fetch::ensure("google-analogies", &Cache::from_env()?, progress)?;
    let text = vecspace_core::io::read_regular_to_string(&path, vecspace_core::io::READ_LIMIT)
        .map_err(|source| Error::Io { path: path.clone(), source })?;
    let set = crate::eval::sets::read_google(&text)?;
    Ok(crate::eval::evaluate_analogies(space, &set, &Default::default(), progress)?.accuracy())
}

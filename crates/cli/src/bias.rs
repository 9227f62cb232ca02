//! `vecspace weat` and `vecspace debias`: measuring and removing a bias direction.

use std::path::Path;

use anyhow::{Context, Result, bail};
use serde::Serialize;
use serde_json::Value;
use vecspace::eval::weat::{WeatOptions, WeatReport, WeatSets, weat};
use vecspace::fetch::{self, Cache};

use crate::SpaceArgs;
use crate::progress::Bars;
use crate::spaces;

/// A word list given on the command line: a file (one word per line, or comma-separated) or the
/// words themselves, separated by commas or spaces.
pub fn word_list(argument: &str) -> Result<Vec<String>> {
    let text = if Path::new(argument).is_file() {
        std::fs::read_to_string(argument).with_context(|| format!("reading {argument}"))?
    } else {
        argument.to_owned()
    };
    let words: Vec<String> =
        text.split(|c: char| c == ',' || c.is_whitespace()).filter(|w| !w.is_empty()).map(str::to_owned).collect();
    if words.is_empty() {
        bail!("the word list {argument:?} is empty");
    }
    Ok(words)
}

/// The registered JSON word lists of `name`, fetched on first use.
pub fn registered_lists(name: &str) -> Result<Value> {
    let path = fetch::ensure(name, &Cache::from_env()?, &Bars::new())?;
    let text = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))
}

/// The published WEAT tests (Caliskan et al. 2017), from the registered `weat` lists.
fn published_tests() -> Result<Vec<WeatSets>> {
    let lists = registered_lists("weat")?;
    let tests = lists.as_array().context("the weat lists are not a JSON array")?;
    tests
        .iter()
        .map(|test| {
            let set = |key: &str| -> Result<(String, Vec<String>)> {
                let name = test[key]["name"].as_str().context("a WEAT set without a name")?.to_owned();
                let words = test[key]["words"].as_array().context("a WEAT set without words")?;
                Ok((name, words.iter().filter_map(Value::as_str).map(str::to_owned).collect()))
            };
            let (x, y, a, b) =
                (set("first_target")?, set("second_target")?, set("first_attribute")?, set("second_attribute")?);
            Ok(WeatSets { names: [x.0, y.0, a.0, b.0], targets: [x.1, y.1], attributes: [a.1, b.1] })
        })
        .collect()
}

#[derive(Serialize)]
struct WeatJson<'a> {
    test: Option<usize>,
    names: &'a [String; 4],
    used: [usize; 4],
    effect_size: f64,
    statistic: f64,
    p_value: f64,
    exact: bool,
    partitions: u64,
    missing: &'a [String],
}

pub fn run_weat(
    args: &SpaceArgs,
    targets: &[String],
    attributes: &[String],
    test: Option<&str>,
    options: WeatOptions,
) -> Result<()> {
    let chosen: Vec<(Option<usize>, WeatSets)> = match test {
        Some(which) => {
            if !targets.is_empty() || !attributes.is_empty() {
                bail!("--test uses the published sets; leave out --targets and --attributes");
            }
            let all = published_tests()?;
            if which == "all" {
                all.into_iter().enumerate().map(|(i, t)| (Some(i + 1), t)).collect()
            } else {
                let number: usize = which.parse().ok().filter(|n| (1..=all.len()).contains(n)).with_context(|| {
                    format!("--test takes a number from 1 to {} or `all`, not {which:?}", all.len())
                })?;
                vec![(Some(number), all[number - 1].clone())]
            }
        }
        None => {
            let (Ok([x, y]), Ok([a, b])) = (<&[String; 2]>::try_from(targets), <&[String; 2]>::try_from(attributes))
            else {
                bail!(
                    "give --targets X Y and --attributes A B (word lists or files), or --test N for a published test"
                );
            };
            let names = ["X", "Y", "A", "B"].map(String::from);
            let sets =
                WeatSets { names, targets: [word_list(x)?, word_list(y)?], attributes: [word_list(a)?, word_list(b)?] };
            vec![(None, sets)]
        }
    };
    let opened = spaces::open(args)?;
    let mut reports: Vec<(Option<usize>, WeatSets, WeatReport)> = Vec::new();
    for (number, sets) in chosen {
        let report = weat(&opened.space, &sets, &options)?;
        reports.push((number, sets, report));
    }
    if args.json {
        let out: Vec<WeatJson> = reports
            .iter()
            .map(|(test, sets, r)| WeatJson {
                test: *test,
                names: &sets.names,
                used: r.used,
                effect_size: r.effect_size,
                statistic: r.statistic,
                p_value: r.p_value,
                exact: r.exact,
                partitions: r.partitions,
                missing: &r.missing,
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    println!("WEAT on {} (effect size d; one-sided p-value)", opened.name);
    for (number, sets, r) in &reports {
        let [x, y, a, b] = &sets.names;
        let label = number.map_or(String::new(), |n| format!("{n:>2}  "));
        let how = if r.exact {
            format!("exact over {} partitions", r.partitions)
        } else {
            format!("{} sampled partitions", r.partitions)
        };
        println!("{label}{x} vs {y} × {a} vs {b}: d = {:+.3}, p = {:.3e} ({how})", r.effect_size, r.p_value);
        if !r.missing.is_empty() {
            println!("      not in the space, left out: {}", r.missing.join(", "));
        }
    }
    Ok(())
}

/// A `NAME:KEY` reference to a registered JSON word list (`bolukbasi-gender:professions`), if
/// `spec` is one: the list's entries.
fn registered_entries(spec: &str) -> Result<Option<Vec<Value>>> {
    let Some((name, key)) = spec.split_once(':') else { return Ok(None) };
    let Some(entry) = fetch::registry::find(name) else { return Ok(None) };
    if entry.kind != fetch::Kind::WordLists {
        bail!("{name} is not a word-list set (see `vecspace fetch --list`)");
    }
    let lists = registered_lists(name)?;
    // The lists sit at the top level or one object down ({"gender": {"professions": …}}).
    let found = lists.get(key).or_else(|| lists.as_object()?.values().find_map(|v| v.get(key)));
    let entries = found.and_then(Value::as_array).with_context(|| format!("{name} has no list {key:?}"))?;
    Ok(Some(entries.clone()))
}

/// Words from a list argument or a registered list (whose entries may be `[word, score, …]`).
fn words_from(spec: &str) -> Result<Vec<String>> {
    match registered_entries(spec)? {
        Some(entries) => {
            Ok(entries.iter().filter_map(|e| e.as_str().or_else(|| e.get(0)?.as_str())).map(str::to_owned).collect())
        }
        None => word_list(spec),
    }
}

/// Pairs from `a:b` items (commas, spaces or lines; or a file) or a registered list of pairs.
fn pairs_from(spec: &str) -> Result<Vec<(String, String)>> {
    if let Some(entries) = registered_entries(spec)? {
        return Ok(entries
            .iter()
            .filter_map(|e| Some((e.get(0)?.as_str()?.to_owned(), e.get(1)?.as_str()?.to_owned())))
            .collect());
    }
    word_list(spec)?
        .into_iter()
        .map(|item| match item.split_once(':') {
            Some((a, b)) if !a.is_empty() && !b.is_empty() => Ok((a.to_owned(), b.to_owned())),
            _ => bail!("{item:?} is not a pair; write pairs as a:b"),
        })
        .collect()
}

/// The row of a word as written, else lower-cased.
fn row_of(space: &vecspace::Space, word: &str) -> Option<usize> {
    space.vocab().row(word).or_else(|| space.vocab().row(&word.to_lowercase()))
}

pub struct DebiasArgs {
    pub direction: String,
    pub neutral_words: String,
    pub equalize_pairs: Option<String>,
    pub out: std::path::PathBuf,
    pub to: Option<vecspace::formats::Format>,
    pub skip_evaluation: bool,
}

pub fn run_debias(args: &SpaceArgs, options: DebiasArgs) -> Result<()> {
    use vecspace::debias::{DebiasPlan, direct_bias, hard_debias};
    use vecspace::formats::{self, Format};

    let format = match options.to.or_else(|| Format::from_extension(&options.out)).unwrap_or(Format::Native) {
        format if format.writable() => format,
        format => bail!("cannot write {format} files; use --to native, word2vec-text or word2vec-binary"),
    };
    let opened = spaces::open(args)?;
    let space = &opened.space;
    let direction = crate::directions::load(&options.direction, space.dims())?;

    let neutral_words = words_from(&options.neutral_words)?;
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
        bail!("none of the neutral words is in the space");
    }
    let pairs = match &options.equalize_pairs {
        Some(spec) => pairs_from(spec)?,
        None => Vec::new(),
    };
    let mut equalize: Vec<(usize, usize)> = Vec::new();
    for (a, b) in &pairs {
        match (row_of(space, a), row_of(space, b)) {
            (Some(x), Some(y)) if x != y && !equalize.contains(&(x, y)) => equalize.push((x, y)),
            (Some(_), Some(_)) => {}
            _ => missing.push(format!("{a}:{b}")),
        }
    }
    // A word cannot be both neutral and one side of a pair.
    neutral.retain(|row| !equalize.iter().any(|&(a, b)| a == *row || b == *row));

    let bias_before = direct_bias(space, &direction.vector, &neutral, 1.0)?;
    let debiased = hard_debias(space, &direction.vector, &DebiasPlan { neutral: &neutral, equalize: &equalize })?
        .with_metadata("debiased", format!("hard debias along {} ({})", options.direction, direction.info.examples));
    let bias_after = direct_bias(&debiased, &direction.vector, &neutral, 1.0)?;
    formats::write(&debiased, &options.out, format)?;

    let accuracy = if options.skip_evaluation {
        None
    } else {
        let path = fetch::ensure("google-analogies", &Cache::from_env()?, &Bars::new())?;
        let set = vecspace::eval::sets::read_google(&std::fs::read_to_string(&path)?)?;
        let evaluate = |s: &vecspace::Space| -> Result<f64> {
            Ok(vecspace::eval::evaluate_analogies(s, &set, &Default::default(), &Bars::new())?.accuracy())
        };
        Some((evaluate(space)?, evaluate(&debiased)?))
    };

    if args.json {
        #[derive(Serialize)]
        struct Out<'a> {
            out: String,
            neutralized: usize,
            equalized: usize,
            missing: &'a [String],
            direct_bias_before: f64,
            direct_bias_after: f64,
            analogy_accuracy_before: Option<f64>,
            analogy_accuracy_after: Option<f64>,
        }
        let out = Out {
            out: options.out.display().to_string(),
            neutralized: neutral.len(),
            equalized: equalize.len(),
            missing: &missing,
            direct_bias_before: bias_before,
            direct_bias_after: bias_after,
            analogy_accuracy_before: accuracy.map(|a| a.0),
            analogy_accuracy_after: accuracy.map(|a| a.1),
        };
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    println!("hard-debiased {} along @{} → {} ({format})", opened.name, options.direction, options.out.display());
    println!("  neutralized {} words, equalized {} pairs", neutral.len(), equalize.len());
    if !missing.is_empty() {
        let shown: Vec<&str> = missing.iter().take(12).map(String::as_str).collect();
        println!(
            "  not in the space, left out ({}): {}{}",
            missing.len(),
            shown.join(", "),
            if missing.len() > 12 { ", …" } else { "" }
        );
    }
    println!("  direct bias of the neutral words: {bias_before:.4} → {bias_after:.4}");
    if let Some((before, after)) = accuracy {
        println!("  Google analogy accuracy (3CosAdd): {:.2} % → {:.2} %", before * 100.0, after * 100.0);
    }
    Ok(())
}

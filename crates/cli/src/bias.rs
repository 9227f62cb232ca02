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

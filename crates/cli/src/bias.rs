//! `vecspace weat` and `vecspace debias`: measuring and removing a bias direction.

use anyhow::{Context, Result, bail};
use serde::Serialize;
use vecspace::app::bias::{self, word_list};
use vecspace::eval::weat::{WeatOptions, WeatReport, WeatSets, weat};

use crate::SpaceArgs;
use crate::progress::Bars;
use crate::spaces;

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
            // The number is checked before the lists are fetched.
            let count = bias::PUBLISHED_WEAT_TESTS;
            let number: Option<usize> =
                match which {
                    "all" => None,
                    _ => {
                        Some(which.parse().ok().filter(|n| (1..=count).contains(n)).with_context(|| {
                            format!("--test takes a number from 1 to {count} or `all`, not {which:?}")
                        })?)
                    }
                };
            match number {
                None => bias::published_weat_tests(&Bars::new())?
                    .into_iter()
                    .enumerate()
                    .map(|(i, t)| (Some(i + 1), t))
                    .collect(),
                Some(number) => vec![(Some(number), bias::published_weat_test(number, &Bars::new())?)],
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
        outln!("{}", serde_json::to_string_pretty(&out)?)?;
        return Ok(());
    }
    outln!("WEAT on {} (effect size d; one-sided p-value)", opened.name)?;
    for (number, sets, r) in &reports {
        let [x, y, a, b] = &sets.names;
        let label = number.map_or(String::new(), |n| format!("{n:>2}  "));
        let how = if r.exact {
            format!("exact over {} partitions", r.partitions)
        } else {
            format!("{} sampled partitions", r.partitions)
        };
        outln!("{label}{x} vs {y} × {a} vs {b}: d = {:+.3}, p = {:.3e} ({how})", r.effect_size, r.p_value)?;
        if !r.missing.is_empty() {
            outln!("      not in the space, left out: {}", r.missing.join(", "))?;
        }
    }
    Ok(())
}

pub struct DebiasArgs {
    pub direction: String,
    pub neutral_words: String,
    pub equalize_pairs: Option<String>,
    pub out: std::path::PathBuf,
    pub to: Option<vecspace::formats::Format>,
    pub skip_evaluation: bool,
    pub force: bool,
}

pub fn run_debias(args: &SpaceArgs, options: DebiasArgs) -> Result<()> {
    use vecspace::formats::{self, Format};

    let format = match options.to.or_else(|| Format::from_extension(&options.out)).unwrap_or(Format::Native) {
        format if format.writable() => format,
        format => bail!("cannot write {format} files; use --to native, word2vec-text or word2vec-binary"),
    };
    let overwrite = vecspace::app::files::Overwrite::force(options.force);
    vecspace::app::files::check_output(&options.out, &[std::path::Path::new(&args.space)], overwrite)?;
    let opened = spaces::open(args)?;
    let space = &opened.space;
    let direction = crate::directions::load(&options.direction, space.dims())?;
    let bars = Bars::new();
    let neutral_words = bias::words_from(&options.neutral_words, &bars)?;
    let pairs = match &options.equalize_pairs {
        Some(spec) => bias::pairs_from(spec, &bars)?,
        None => Vec::new(),
    };
    let done = bias::hard_debiased(space, &direction, &options.direction, &neutral_words, &pairs)?;
    formats::write(&done.space, &options.out, format)?;
    let accuracy = if options.skip_evaluation {
        None
    } else {
        Some((bias::google_analogy_accuracy(space, &bars)?, bias::google_analogy_accuracy(&done.space, &bars)?))
    };
    let (missing, bias_before, bias_after) = (&done.missing, done.bias_before, done.bias_after);
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
            neutralized: done.neutralized,
            equalized: done.equalized,
            missing,
            direct_bias_before: bias_before,
            direct_bias_after: bias_after,
            analogy_accuracy_before: accuracy.map(|a| a.0),
            analogy_accuracy_after: accuracy.map(|a| a.1),
        };
        outln!("{}", serde_json::to_string_pretty(&out)?)?;
        return Ok(());
    }
    outln!("hard-debiased {} along @{} → {} ({format})", opened.name, options.direction, options.out.display())?;
    outln!("  neutralized {} words, equalized {} pairs", done.neutralized, done.equalized)?;
    if !missing.is_empty() {
        let shown: Vec<&str> = missing.iter().take(12).map(String::as_str).collect();
        outln!(
            "  not in the space, left out ({}): {}{}",
            missing.len(),
            shown.join(", "),
            if missing.len() > 12 { ", …" } else { "" }
        )?;
    }
    outln!("  direct bias of the neutral words: {bias_before:.4} → {bias_after:.4}")?;
    if let Some((before, after)) = accuracy {
        outln!("  Google analogy accuracy (3CosAdd): {:.2} % → {:.2} %", before * 100.0, after * 100.0)?;
    }
    Ok(())
}

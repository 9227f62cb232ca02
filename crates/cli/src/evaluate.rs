//! `vecspace eval`: benchmark files or registered sets, the evaluators, and their reports.

use std::time::Instant;

use anyhow::Result;
use clap::Subcommand;
use serde::Serialize;
use vecspace::AnalogyMethod;
use vecspace::app::evaluation::{self, Sources};
use vecspace::eval::sets::AnalogySet;
use vecspace::eval::{AnalogyOptions, AnalogyReport, PairOptions, QuestionResult};

use crate::SpaceArgs;
use crate::progress::Bars;
use crate::spaces;

#[derive(Subcommand)]
pub enum EvalCommand {
    /// Analogy accuracy (gensim's evaluate_word_analogies rules).
    Analogies {
        /// A registered set (google-analogies, msr-analogies) or a file: word2vec's
        /// questions-words format, or a CSV with type, word1, word2, word3, target columns.
        set: String,
        /// Only the first N words are candidates; questions using other words are skipped.
        #[arg(long, default_value_t = 300_000)]
        restrict_vocab: usize,
        /// Compare words case-insensitively, by upper-casing (the default).
        #[arg(long, overrides_with = "case_sensitive")]
        case_insensitive: bool,
        /// Compare words exactly.
        #[arg(long)]
        case_sensitive: bool,
        /// add (3CosAdd), mul (3CosMul) or pair (PairDirection).
        #[arg(long, default_value_t = AnalogyMethod::Add)]
        method: AnalogyMethod,
        /// Include every question's answer in the JSON output.
        #[arg(long)]
        details: bool,
    },
    /// Correlation with human similarity ratings (gensim's evaluate_word_pairs rules).
    Similarity {
        /// A registered set (wordsim353, simlex999, men, rw, simverb-3500) or a file:
        /// tab-separated `word word score` lines, or a CSV with word1, word2, similarity columns.
        set: String,
        #[arg(long, default_value_t = 300_000)]
        restrict_vocab: usize,
        /// Compare words exactly instead of upper-casing both sides.
        #[arg(long)]
        case_sensitive: bool,
    },
}

pub fn run(command: EvalCommand, space: &SpaceArgs) -> Result<()> {
    match command {
        EvalCommand::Analogies { set, restrict_vocab, case_insensitive: _, case_sensitive, method, details } => {
            let analogies = evaluation::analogy_set(&set, Sources::RegisteredOrFile, &Bars::new())?;
            let opened = spaces::open(space)?;
            let options = AnalogyOptions { restrict_vocab, case_insensitive: !case_sensitive, method };
            let started = Instant::now();
            let report = evaluation::analogies(&opened.space, &analogies, &options, &Bars::new())?;
            let seconds = started.elapsed().as_secs_f64();
            if space.json {
                print_json(&AnalogyJson::new(&set, &opened.name, &report, &analogies, details, seconds))
            } else {
                print_analogy_table(&set, &opened.name, &report, seconds)
            }
        }
        EvalCommand::Similarity { set, restrict_vocab, case_sensitive } => {
            let pairs = evaluation::pair_set(&set, Sources::RegisteredOrFile, &Bars::new())?;
            let opened = spaces::open(space)?;
            let options = PairOptions { restrict_vocab, case_insensitive: !case_sensitive };
            let report = vecspace::eval::evaluate_pairs(&opened.space, &pairs, &options)?;
            if space.json {
                #[derive(Serialize)]
                struct Out<'a> {
                    benchmark: &'a str,
                    space: &'a str,
                    restrict_vocab: usize,
                    case_insensitive: bool,
                    pearson: f64,
                    spearman: f64,
                    oov_percent: f64,
                    pairs_used: usize,
                    pairs_skipped: usize,
                    invalid_lines: usize,
                }
                print_json(&Out {
                    benchmark: &set,
                    space: &opened.name,
                    restrict_vocab,
                    case_insensitive: !case_sensitive,
                    pearson: report.pearson,
                    spearman: report.spearman,
                    oov_percent: report.oov_percent,
                    pairs_used: report.pairs_used,
                    pairs_skipped: report.pairs_skipped,
                    invalid_lines: report.invalid_lines,
                })
            } else {
                outln!("{set} on {}", opened.name)?;
                outln!("  Pearson   {:.4}", report.pearson)?;
                outln!("  Spearman  {:.4}", report.spearman)?;
                outln!(
                    "  out of vocabulary  {:.1} % ({} of {} pairs)",
                    report.oov_percent,
                    report.pairs_skipped,
                    report.pairs_used + report.pairs_skipped
                )?;
                Ok(())
            }
        }
    }
}

fn print_json(value: &impl Serialize) -> Result<()> {
    outln!("{}", serde_json::to_string_pretty(value)?)?;
    Ok(())
}

fn percent(correct: usize, total: usize) -> f64 {
    if total == 0 { 0.0 } else { correct as f64 / total as f64 * 100.0 }
}

fn print_analogy_table(set: &str, space: &str, report: &AnalogyReport, seconds: f64) -> Result<()> {
    outln!(
        "{set} on {space}: {}, first {} words, {}",
        crate::method_label(report.method),
        report.restrict_vocab,
        if report.case_insensitive { "case-insensitive" } else { "case-sensitive" }
    )?;
    let width = report.sections.iter().map(|s| s.name.len()).max().unwrap_or(0).max(12);
    outln!("{:<width$}  {:>8}  {:>7}  {:>9}", "section", "correct", "total", "accuracy")?;
    let line = |name: &str, correct: usize, total: usize| {
        outln!("{name:<width$}  {correct:>8}  {total:>7}  {:>8.2} %", percent(correct, total))
    };
    for section in &report.sections {
        line(&section.name, section.correct, section.total)?;
    }
    outln!("{}", "-".repeat(width + 32))?;
    if let (Some((sc, st)), Some((yc, yt))) = (report.semantic, report.syntactic) {
        line("semantic", sc, st)?;
        line("syntactic", yc, yt)?;
    }
    line("total", report.correct, report.total)?;
    outln!(
        "skipped {} of {} questions (a word outside the first {} words){}; {seconds:.2} s",
        report.skipped,
        report.questions.len(),
        report.restrict_vocab,
        if report.invalid_lines > 0 {
            format!("; {} malformed lines ignored", report.invalid_lines)
        } else {
            String::new()
        }
    )?;
    Ok(())
}

#[derive(Serialize)]
struct AnalogyJson<'a> {
    benchmark: &'a str,
    space: &'a str,
    method: &'static str,
    restrict_vocab: usize,
    case_insensitive: bool,
    correct: usize,
    total: usize,
    accuracy: f64,
    skipped: usize,
    invalid_lines: usize,
    semantic: Option<Tally>,
    syntactic: Option<Tally>,
    sections: Vec<SectionJson<'a>>,
    seconds: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    questions: Option<Vec<QuestionJson<'a>>>,
}

#[derive(Serialize)]
struct Tally {
    correct: usize,
    total: usize,
}

#[derive(Serialize)]
struct SectionJson<'a> {
    name: &'a str,
    correct: usize,
    total: usize,
    category: Option<&'static str>,
}

#[derive(Serialize)]
struct QuestionJson<'a> {
    section: &'a str,
    line: usize,
    words: &'a [String; 4],
    /// "correct", "wrong" or "skipped".
    verdict: &'static str,
    predicted: Option<&'a str>,
}

impl<'a> AnalogyJson<'a> {
    fn new(
        benchmark: &'a str,
        space: &'a str,
        report: &'a AnalogyReport,
        set: &'a AnalogySet,
        details: bool,
        seconds: f64,
    ) -> Self {
        let tally = |pair: Option<(usize, usize)>| pair.map(|(correct, total)| Tally { correct, total });
        let questions = details.then(|| {
            let all = set.sections.iter().flat_map(|s| s.questions.iter().map(move |q| (s.name.as_str(), q)));
            all.zip(&report.questions)
                .map(|((section, question), result)| {
                    let (verdict, predicted) = match result {
                        QuestionResult::Skipped => ("skipped", None),
                        QuestionResult::Answered { predicted, correct } => {
                            (if *correct { "correct" } else { "wrong" }, predicted.as_deref())
                        }
                    };
                    QuestionJson { section, line: question.line, words: &question.words, verdict, predicted }
                })
                .collect()
        });
        AnalogyJson {
            benchmark,
            space,
            method: report.method.name(),
            restrict_vocab: report.restrict_vocab,
            case_insensitive: report.case_insensitive,
            correct: report.correct,
            total: report.total,
            accuracy: report.accuracy(),
            skipped: report.skipped,
            invalid_lines: report.invalid_lines,
            semantic: tally(report.semantic),
            syntactic: tally(report.syntactic),
            sections: report
                .sections
                .iter()
                .map(|s| SectionJson {
                    name: &s.name,
                    correct: s.correct,
                    total: s.total,
                    category: s.category.map(|c| match c {
                        vecspace::eval::Category::Semantic => "semantic",
                        vecspace::eval::Category::Syntactic => "syntactic",
                    }),
                })
                .collect(),
            seconds,
            questions,
        }
    }
}

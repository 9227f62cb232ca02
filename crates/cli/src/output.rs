//! What the commands print: aligned tables for people, a stable JSON schema for programs
//! (documented in docs/CLI.md).

use anyhow::Result;
use serde::Serialize;
use vecspace::{AnalogyMethod, Metric, Scored};

use vecspace::app::Opened;
use vecspace::app::spaces::NormSummary;

/// Prints results as text or JSON.
pub struct Printer {
    json: bool,
}

#[derive(Serialize)]
struct Hit<'a> {
    word: &'a str,
    score: f32,
}

fn hits(results: &[Scored]) -> Vec<Hit<'_>> {
    results.iter().map(|s| Hit { word: &s.word, score: s.score }).collect()
}

impl Printer {
    pub fn new(json: bool) -> Self {
        Printer { json }
    }

    fn emit(&self, value: &impl Serialize) -> Result<()> {
        outln!("{}", serde_json::to_string_pretty(value)?)?;
        Ok(())
    }

    pub fn neighbours(&self, expression: &str, space: &str, metric: Metric, results: &[Scored]) -> Result<()> {
        if self.json {
            #[derive(Serialize)]
            struct Out<'a> {
                expression: &'a str,
                space: &'a str,
                metric: &'a str,
                results: Vec<Hit<'a>>,
            }
            return self.emit(&Out { expression, space, metric: metric.name(), results: hits(results) });
        }
        let label = if metric.higher_is_closer() { metric.name() } else { "distance" };
        outln!("{expression}   ({label}, {space})")?;
        print_table(results)?;
        Ok(())
    }

    pub fn analogy(
        &self,
        title: &str,
        question: [&str; 3],
        method: AnalogyMethod,
        space: &str,
        results: &[Scored],
    ) -> Result<()> {
        if self.json {
            #[derive(Serialize)]
            struct Out<'a> {
                question: [&'a str; 3],
                method: &'a str,
                space: &'a str,
                results: Vec<Hit<'a>>,
            }
            return self.emit(&Out { question, method: method.name(), space, results: hits(results) });
        }
        outln!("{title}")?;
        print_table(results)?;
        Ok(())
    }

    pub fn scalar(&self, expression: &str, value: f64) -> Result<()> {
        if self.json {
            #[derive(Serialize)]
            struct Out<'a> {
                expression: &'a str,
                value: f64,
            }
            return self.emit(&Out { expression, value });
        }
        outln!("{expression} = {value:.6}")?;
        Ok(())
    }

    pub fn similarity(&self, a: &str, b: &str, similarity: f32) -> Result<()> {
        if self.json {
            #[derive(Serialize)]
            struct Out<'a> {
                a: &'a str,
                b: &'a str,
                similarity: f32,
            }
            return self.emit(&Out { a, b, similarity });
        }
        outln!("cos({a}, {b}) = {similarity:.6}")?;
        Ok(())
    }

    pub fn outlier(&self, scored: &[Scored]) -> Result<()> {
        if self.json {
            #[derive(Serialize)]
            struct Out<'a> {
                outlier: &'a str,
                results: Vec<Hit<'a>>,
            }
            return self.emit(&Out { outlier: &scored[0].word, results: hits(scored) });
        }
        outln!("odd one out: {}   (cosine to the group's mean direction)", scored[0].word)?;
        print_table(scored)?;
        Ok(())
    }

    pub fn rank(&self, a: &str, b: &str, rank: usize) -> Result<()> {
        if self.json {
            #[derive(Serialize)]
            struct Out<'a> {
                a: &'a str,
                b: &'a str,
                rank: usize,
            }
            return self.emit(&Out { a, b, rank });
        }
        outln!("{b} is neighbour number {rank} of {a}")?;
        Ok(())
    }

    pub fn info(&self, opened: &Opened) -> Result<()> {
        let space = &opened.space;
        let NormSummary { min, mean, max } = opened.norms();
        let first: Vec<&str> = (0..space.len().min(10)).map(|row| space.word(row)).collect();
        let bytes = opened.file_bytes();
        if self.json {
            #[derive(Serialize)]
            struct Norms {
                min: f32,
                mean: f64,
                max: f32,
            }
            #[derive(Serialize)]
            struct Search {
                engine: &'static str,
                exact: bool,
                description: String,
            }
            #[derive(Serialize)]
            struct Subwords {
                minn: usize,
                maxn: usize,
                buckets: usize,
            }
            #[derive(Serialize)]
            struct Out<'a> {
                name: &'a str,
                path: String,
                format: String,
                file_bytes: u64,
                words: usize,
                dims: usize,
                first_words: Vec<&'a str>,
                norms: Norms,
                /// The n-gram table that gives unknown words vectors; null without one.
                subwords: Option<Subwords>,
                /// What answers neighbour searches: the engine, its index, its server.
                search: Search,
                metadata: serde_json::Map<String, serde_json::Value>,
            }
            let metadata = space.metadata().iter().map(|(k, v)| (k.clone(), v.clone().into())).collect();
            return self.emit(&Out {
                name: &opened.name,
                path: opened.path.display().to_string(),
                format: opened.format.clone(),
                file_bytes: bytes,
                words: space.len(),
                dims: space.dims(),
                first_words: first,
                norms: Norms { min, mean, max },
                subwords: space.subwords().map(|t| Subwords { minn: t.minn(), maxn: t.maxn(), buckets: t.buckets() }),
                search: Search {
                    engine: space.engine().name(),
                    exact: space.engine().is_exact(),
                    description: space.engine().describe(),
                },
                metadata,
            });
        }
        outln!("{:<12} {}", "space", opened.name)?;
        outln!("{:<12} {} ({}, {:.1} MB)", "file", opened.path.display(), opened.format, bytes as f64 / 1e6)?;
        outln!("{:<12} {} × {}", "shape", space.len(), space.dims())?;
        outln!("{:<12} {}", "first words", first.join(" "))?;
        outln!("{:<12} min {min:.4}  mean {mean:.4}  max {max:.4}", "norms")?;
        match space.subwords() {
            Some(table) => outln!(
                "{:<12} n-grams of {}–{} characters in {} buckets: unknown words get vectors",
                "subwords",
                table.minn(),
                table.maxn(),
                table.buckets()
            )?,
            None => outln!("{:<12} none: unknown words are errors", "subwords")?,
        }
        let engine = space.engine();
        let exactness = if engine.is_exact() { "exact" } else { "approximate, candidates re-scored exactly" };
        outln!("{:<12} {} ({exactness})", "search", engine.describe())?;
        for (key, value) in space.metadata() {
            outln!("{key:<12} {value}")?;
        }
        Ok(())
    }
}

fn print_table(results: &[Scored]) -> Result<()> {
    let width = results.iter().map(|s| s.word.chars().count()).max().unwrap_or(0).max(4);
    for (i, scored) in results.iter().enumerate() {
        outln!("{:>4}  {:<width$}  {:.4}", i + 1, scored.word, scored.score)?;
    }
    Ok(())
}

/// Writing the command's output failed: the reader closed the pipe, or the disk is full.
#[derive(Debug)]
pub struct OutputError(pub std::io::Error);

impl std::fmt::Display for OutputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "writing the output: {}", self.0)
    }
}

impl std::error::Error for OutputError {}

/// Whether the error is the reader of the output having gone away.
pub fn is_closed_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        let io = cause.downcast_ref::<OutputError>().map(|e| &e.0).or_else(|| cause.downcast_ref::<std::io::Error>());
        io.is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// The error message, with the chain of causes that add information.
pub fn describe(error: &anyhow::Error) -> String {
    let mut message = error.to_string();
    for cause in error.chain().skip(1) {
        let text = cause.to_string();
        if !message.contains(&text) {
            message.push_str(&format!(": {text}"));
        }
    }
    vecspace::app::printable(&message)
}

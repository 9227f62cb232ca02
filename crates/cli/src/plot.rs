//! `vecspace plot`: a labelled 2-D picture of words — PCA, t-SNE, or two chosen axes — with
//! analogies drawn as arrows.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::Serialize;
use vecspace::plot::{Scatter, to_svg};
use vecspace::projection::{self, Layout};

use crate::SpaceArgs;
use crate::directions;
use crate::spaces;

pub struct PlotArgs {
    pub words: Vec<String>,
    pub method: String,
    pub axes: Vec<String>,
    pub analogy: Vec<String>,
    pub seed: u64,
    pub perplexity: f64,
    pub out: PathBuf,
    pub raw: bool,
}

pub fn run(args: &SpaceArgs, plot: PlotArgs) -> Result<()> {
    let png = match plot.out.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
        Some("svg") => false,
        Some("png") => true,
        _ => bail!("give --out a .svg or .png file name"),
    };
    let opened = spaces::open(args)?;
    let space = &opened.space;
    let mut words: Vec<String> = Vec::new();
    let mut arrows: Vec<(usize, usize)> = Vec::new();
    let index_of = |word: &str, words: &mut Vec<String>| -> usize {
        words.iter().position(|w| w == word).unwrap_or_else(|| {
            words.push(word.to_owned());
            words.len() - 1
        })
    };
    for pair in &plot.analogy {
        let Some((a, b)) = pair.split_once(':').filter(|(a, b)| !a.is_empty() && !b.is_empty()) else {
            bail!("{pair:?} is not an arrow; write --analogy A:B C:D (king:queen man:woman)");
        };
        let (from, to) = (index_of(a, &mut words), index_of(b, &mut words));
        arrows.push((from, to));
    }
    for word in &plot.words {
        index_of(word, &mut words);
    }
    if words.len() < 3 {
        bail!("a plot needs at least 3 words, got {}", words.len());
    }
    const MOST: usize = 2000;
    if words.len() > MOST {
        bail!("{} words are too many to label; plot at most {MOST}", words.len());
    }
    let vectors: Vec<Vec<f32>> = words
        .iter()
        .map(|w| {
            let row = space.lookup(w)?;
            Ok(if plot.raw { space.raw_vector(row).to_vec() } else { space.unit_vector(row) })
        })
        .collect::<Result<_>>()?;
    let n = words.len();
    let (layout, title): (Layout, String) = if let [x, y] = plot.axes.as_slice() {
        let store = directions::store()?;
        let axis = |spec: &str| vecspace::app::words::axis(space, &store, spec, !plot.raw);
        let (ax, ay) = (axis(x)?, axis(y)?);
        let layout =
            projection::on_axes(&vectors, [&ax, &ay], [x.clone(), y.clone()]).context("an axis is the zero vector")?;
        (layout, format!("{n} words of {} on the axes {x} and {y}", opened.name))
    } else if !plot.axes.is_empty() {
        bail!("--axes takes two directions or expressions");
    } else {
        match plot.method.as_str() {
            "pca" => {
                let layout = projection::pca(&vectors).context("the words do not vary (all vectors equal)")?;
                (layout, format!("PCA of {n} words of {}", opened.name))
            }
            "tsne" => {
                let layout =
                    projection::tsne(&vectors, plot.perplexity, plot.seed, 1000).context("too few words for t-SNE")?;
                let perplexity = plot.perplexity.min((n as f64 - 1.0) / 3.0).max(1.0);
                (
                    layout,
                    format!("t-SNE of {n} words of {} (perplexity {perplexity:.0}, seed {})", opened.name, plot.seed),
                )
            }
            other => bail!("unknown layout {other:?}: use pca or tsne (or --axes X Y)"),
        }
    };
    let svg = to_svg(&Scatter { title: &title, layout: &layout, labels: &words, arrows: &arrows });
    if png {
        write(&plot.out, &vecspace::plot::to_png(&svg, 2.0)?)?;
    } else {
        write(&plot.out, svg.as_bytes())?;
    }
    if args.json {
        #[derive(Serialize)]
        struct Point<'a> {
            word: &'a str,
            x: f64,
            y: f64,
        }
        #[derive(Serialize)]
        struct Out<'a> {
            title: &'a str,
            axes: &'a [String; 2],
            out: String,
            points: Vec<Point<'a>>,
        }
        let points = words.iter().zip(&layout.points).map(|(w, p)| Point { word: w, x: p[0], y: p[1] }).collect();
        let out = Out { title: &title, axes: &layout.axes, out: plot.out.display().to_string(), points };
        outln!("{}", serde_json::to_string_pretty(&out)?)?;
    } else {
        eprintln!("{title} → {}", plot.out.display());
    }
    Ok(())
}

fn write(path: &Path, bytes: &[u8]) -> Result<()> {
    vecspace::formats::write_atomically(path, |out| {
        out.write_all(bytes).map_err(|e| vecspace::formats::Error::Io { path: path.to_owned(), source: e })
    })?;
    Ok(())
}

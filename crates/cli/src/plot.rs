//! `vecspace plot`: a labelled 2-D picture of words — PCA, t-SNE, or two chosen axes — with
//! analogies drawn as arrows.

use std::path::{Path, PathBuf};

use anyhow::{Result, bail};
use serde::Serialize;
use vecspace::app::{self, plots::Arrangement, plots::WordPlot};

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
    let arrows = plot
        .analogy
        .iter()
        .map(|pair| match pair.split_once(':').filter(|(a, b)| !a.is_empty() && !b.is_empty()) {
            Some((a, b)) => Ok((a.to_owned(), b.to_owned())),
            None => bail!("{pair:?} is not an arrow; write --analogy A:B C:D (king:queen man:woman)"),
        })
        .collect::<Result<Vec<_>>>()?;
    let arrangement = match plot.axes.as_slice() {
        [x, y] => Arrangement::Axes([x.clone(), y.clone()]),
        [] => Arrangement::named(&plot.method, plot.perplexity, plot.seed)?,
        _ => bail!("--axes takes two directions or expressions"),
    };
    let opened = spaces::open(args)?;
    let request = WordPlot { words: plot.words, arrows, arrangement, raw: plot.raw };
    let picture = app::plots::words(&opened.space, &opened.name, &directions::store()?, &request)?;
    if png {
        write(&plot.out, &picture.png(2.0)?)?;
    } else {
        write(&plot.out, picture.svg().as_bytes())?;
    }
    let (title, words, layout) = (&picture.title, &picture.labels, &picture.layout);
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
        let out = Out { title, axes: &layout.axes, out: plot.out.display().to_string(), points };
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

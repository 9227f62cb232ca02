//! Pictures of words: a labelled 2-D layout — PCA, t-SNE, or two chosen axes — with analogies
//! drawn as arrows, as an SVG (or PNG) page.

use super::{DirectionStore, Error, Result};
use crate::Space;
use crate::projection::{self, Layout};

/// Most words one picture labels.
pub const MOST_WORDS: usize = 2000;

/// How the words are laid out.
#[derive(Debug, Clone, PartialEq)]
pub enum Arrangement {
    /// The first two principal components.
    Pca,
    /// t-SNE with this perplexity and seed (1000 iterations).
    Tsne { perplexity: f64, seed: u64 },
    /// Each word's projection on two directions or expressions (`he - she`, `@gender`).
    Axes([String; 2]),
}

impl Arrangement {
    /// `pca` or `tsne` by name.
    pub fn named(method: &str, perplexity: f64, seed: u64) -> Result<Arrangement> {
        match method {
            "pca" => Ok(Arrangement::Pca),
            "tsne" => Ok(Arrangement::Tsne { perplexity, seed }),
            other => Err(Error::invalid(format!("unknown layout {other:?}: use pca or tsne (or two axes)"))),
        }
    }
}

/// What to draw.
#[derive(Debug, Clone, PartialEq)]
pub struct WordPlot {
    pub words: Vec<String>,
    /// Arrows from the first word to the second (`king:queen`); their words are drawn too.
    pub arrows: Vec<(String, String)>,
    pub arrangement: Arrangement,
    /// Lay out the vectors as stored instead of unit-normalised.
    pub raw: bool,
}

/// A laid-out picture.
#[derive(Debug, Clone, PartialEq)]
pub struct Picture {
    pub title: String,
    /// The words drawn: the arrows' words first, then the others, each once.
    pub labels: Vec<String>,
    pub layout: Layout,
    /// Arrows between labels, by index.
    pub arrows: Vec<(usize, usize)>,
}

impl Picture {
    pub fn svg(&self) -> String {
        crate::plot::to_svg(&crate::plot::Scatter {
            title: &self.title,
            layout: &self.layout,
            labels: &self.labels,
            arrows: &self.arrows,
        })
    }

    /// The page as a PNG at `scale` times its size.
    pub fn png(&self, scale: f32) -> Result<Vec<u8>> {
        Ok(crate::plot::to_png(&self.svg(), scale)?)
    }
}

/// Lays out the words of `plot` from `space` (called `name` in the title).
pub fn words(space: &Space, name: &str, store: &DirectionStore, plot: &WordPlot) -> Result<Picture> {
    let mut labels: Vec<String> = Vec::new();
    let mut index_of = |word: &str| -> usize {
        labels.iter().position(|w| w == word).unwrap_or_else(|| {
            labels.push(word.to_owned());
            labels.len() - 1
        })
    };
    let arrows: Vec<(usize, usize)> = plot.arrows.iter().map(|(a, b)| (index_of(a), index_of(b))).collect();
    for word in &plot.words {
        index_of(word);
    }
    if labels.len() < 3 {
        return Err(Error::invalid(format!("a plot needs at least 3 words, got {}", labels.len())));
    }
    if labels.len() > MOST_WORDS {
        return Err(Error::invalid(format!("{} words are too many to label; plot at most {MOST_WORDS}", labels.len())));
    }
    let vectors: Vec<Vec<f32>> = labels
        .iter()
        .map(|w| {
            let row = space.lookup(w)?;
            Ok(if plot.raw { space.raw_vector(row).to_vec() } else { space.unit_vector(row) })
        })
        .collect::<Result<_>>()?;
    let n = labels.len();
    let (layout, title) = match &plot.arrangement {
        Arrangement::Axes([x, y]) => {
            let axis = |spec: &str| super::words::axis(space, store, spec, !plot.raw);
            let (ax, ay) = (axis(x)?, axis(y)?);
            let layout = projection::on_axes(&vectors, [&ax, &ay], [x.clone(), y.clone()])
                .ok_or_else(|| Error::invalid("an axis is the zero vector"))?;
            (layout, format!("{n} words of {name} on the axes {x} and {y}"))
        }
        Arrangement::Pca => {
            let layout =
                projection::pca(&vectors).ok_or_else(|| Error::invalid("the words do not vary (all vectors equal)"))?;
            (layout, format!("PCA of {n} words of {name}"))
        }
        Arrangement::Tsne { perplexity, seed } => {
            if !(perplexity.is_finite() && *perplexity > 0.0) {
                return Err(Error::invalid("the t-SNE perplexity must be a positive number"));
            }
            let layout = projection::tsne(&vectors, *perplexity, *seed, 1000)
                .ok_or_else(|| Error::invalid("too few words for t-SNE"))?;
            let perplexity = perplexity.min((n as f64 - 1.0) / 3.0).max(1.0);
            (layout, format!("t-SNE of {n} words of {name} (perplexity {perplexity:.0}, seed {seed})"))
        }
    };
    Ok(Picture { title, labels, layout, arrows })
}

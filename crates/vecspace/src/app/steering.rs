//! Steering a language model: prompts checked against its context, contrast pairs read from
//! JSONL, lexicons that score what it writes, and the evaluation grid — every layer range ×
//! coefficient, each scored on the prompts' continuations and on the perplexity of neutral text.

use std::ops::{ControlFlow, RangeInclusive};
use std::path::Path;

use super::{Error, Result};
use crate::LanguageModel;
use crate::eval::lexicon::Lexicon;
use crate::fetch::{self, Cache};
use crate::lm::steer::{self, ControlVector, Steering};
use crate::lm::{Hook, Model, NoHook, Sampling};
use crate::progress::{Progress, Unit};

/// Refuses an empty prompt, or one that leaves no room for `room` more tokens.
pub fn check_prompt(ids: &[u32], room: usize, model: &Model) -> Result<()> {
    if ids.is_empty() {
        return Err(Error::invalid("the prompt is empty"));
    }
    let context = model.config.context;
    if ids.len() + room > context {
        return Err(Error::invalid(format!(
            "the prompt has {} tokens; with {room} to generate that exceeds the context of {context}",
            ids.len()
        )));
    }
    Ok(())
}

fn read_text(path: &Path) -> Result<String> {
    vecspace_core::io::read_regular_to_string(path, vecspace_core::io::READ_LIMIT)
        .map_err(|source| Error::Io { path: path.to_owned(), source })
}

/// Contrast pairs from JSONL: one `{"positive": …, "negative": …}` object per line.
pub fn read_pairs(path: &Path) -> Result<Vec<(String, String)>> {
    let text = read_text(path)?;
    let mut pairs = Vec::new();
    for (number, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let value: serde_json::Value = serde_json::from_str(line)
            .map_err(|_| Error::invalid(format!("{}, line {}: not JSON", path.display(), number + 1)))?;
        let field = |key: &str| value.get(key).and_then(|v| v.as_str()).map(str::to_owned);
        match (field("positive"), field("negative")) {
            (Some(p), Some(n)) if !p.is_empty() && !n.is_empty() => pairs.push((p, n)),
            _ => {
                return Err(Error::invalid(format!(
                    "{}, line {}: expected {{\"positive\": \"…\", \"negative\": \"…\"}}",
                    path.display(),
                    number + 1
                )));
            }
        }
    }
    if pairs.is_empty() {
        return Err(Error::invalid(format!("{} holds no pairs", path.display())));
    }
    Ok(pairs)
}

/// A lexicon that scores text, and whether its scores are sentiment ratings (VADER) rather than
/// topic matches.
pub struct Scorer {
    pub lexicon: Lexicon,
    pub sentiment: bool,
}

impl Scorer {
    /// The lexicon a name stands for: `vader` (fetched on first use), `words:a,b,c`, or a file of
    /// words, one a line.
    pub fn named(spec: &str, progress: &dyn Progress) -> Result<Scorer> {
        if spec == "vader" {
            let path = fetch::ensure("vader-lexicon", &Cache::from_env()?, progress)?;
            return Ok(Scorer { lexicon: Lexicon::read_vader(&path)?, sentiment: true });
        }
        let words: Vec<String> = match spec.strip_prefix("words:") {
            Some(list) => list.split(',').map(|w| w.trim().to_owned()).filter(|w| !w.is_empty()).collect(),
            None => {
                read_text(Path::new(spec))?.lines().map(|w| w.trim().to_owned()).filter(|w| !w.is_empty()).collect()
            }
        };
        if words.is_empty() {
            return Err(Error::invalid(format!("the lexicon {spec:?} holds no words")));
        }
        Ok(Scorer { lexicon: Lexicon::from_words(words.iter().map(String::as_str)), sentiment: false })
    }

    /// A continuation's score: its mean rating (sentiment), or its matches per 100 words (topic).
    pub fn score(&self, text: &str) -> f64 {
        let score = self.lexicon.score(text);
        if self.sentiment { score.mean } else { 100.0 * score.matched as f64 / score.words.max(1) as f64 }
    }
}

/// The grid an evaluation runs: every layer range with every coefficient.
pub struct Grid {
    pub ranges: Vec<RangeInclusive<usize>>,
    pub coefficients: Vec<f32>,
    /// Tokens generated per prompt.
    pub max_tokens: usize,
    /// Continuations kept per cell, to read.
    pub examples: usize,
}

/// One cell of the grid.
#[derive(Debug, Clone, serde::Serialize)]
pub struct GridRow {
    pub layers: String,
    pub coefficient: f32,
    /// Mean over prompts of each continuation's score (see [`Scorer::score`]).
    pub mean_score: f64,
    /// Share of continuations scoring above 0 (sentiment) or mentioning the topic at all.
    pub share: f64,
    /// Perplexity of the neutral text under the same steering: what the steering costs.
    pub perplexity: f64,
    pub examples: Vec<String>,
}

/// Generates greedily from each prompt under each cell's steering (coefficient 0 is the model
/// unsteered), scores the continuations and the neutral text's perplexity; progress counts
/// generations.
pub fn evaluate_grid(
    loaded: &LanguageModel,
    control: &ControlVector,
    prompts: &[String],
    neutral: &str,
    scorer: &Scorer,
    grid: &Grid,
    progress: &dyn Progress,
) -> Result<Vec<GridRow>> {
    if prompts.is_empty() {
        return Err(Error::invalid("no prompts"));
    }
    control.check(&loaded.model)?;
    let neutral_ids = loaded.tokenizer.encode(neutral.trim())?;
    check_prompt(&neutral_ids, 0, &loaded.model)?;
    let prompt_ids = prompts.iter().map(|p| loaded.tokenizer.encode(p)).collect::<Result<Vec<_>, _>>()?;
    for ids in &prompt_ids {
        check_prompt(ids, grid.max_tokens, &loaded.model)?;
    }
    let runs = grid.ranges.len() * grid.coefficients.len();
    progress.start("steered generations", Some((runs * prompts.len()) as u64), Unit::Items);
    let mut rows = Vec::new();
    for range in &grid.ranges {
        for &coefficient in &grid.coefficients {
            let hook = || -> Result<Box<dyn Hook>> {
                if coefficient == 0.0 {
                    return Ok(Box::new(NoHook));
                }
                Ok(Box::new(Steering::new(&[(control.clone(), coefficient)], range.clone(), &loaded.model)?))
            };
            let mut scores = Vec::with_capacity(prompts.len());
            let mut texts = Vec::new();
            for ids in &prompt_ids {
                let mut h = hook()?;
                let (out, _) = crate::lm::generate(
                    &loaded.model,
                    &loaded.tokenizer,
                    ids,
                    grid.max_tokens,
                    Sampling::GREEDY,
                    h.as_mut(),
                    &mut |_| ControlFlow::Continue(()),
                )?;
                let text = loaded.tokenizer.decode(&out);
                scores.push(scorer.score(&text));
                if texts.len() < grid.examples {
                    texts.push(text);
                }
                progress.advance(1);
            }
            let perplexity = steer::mean_nll(&loaded.model, &neutral_ids, hook()?.as_mut())?.exp();
            let n = scores.len() as f64;
            rows.push(GridRow {
                layers: format!("{}..{}", range.start(), range.end()),
                coefficient,
                mean_score: scores.iter().sum::<f64>() / n,
                share: scores.iter().filter(|s| **s > 0.0).count() as f64 / n,
                perplexity,
                examples: texts,
            });
        }
    }
    progress.finish();
    Ok(rows)
}

/// Tokens with their scores, strongest first.
pub type RankedTokens = Vec<(String, f32)>;

/// Where a residual-stream vector points in the vocabulary: through the logit lens (read out by
/// the final norm and the unembedding) and by cosine with every token embedding, the `top`
/// tokens at the positive and the negative end of each.
pub struct TokenEnds {
    pub lens: [RankedTokens; 2],
    pub embeddings: [RankedTokens; 2],
}

/// The token ends of `vector` (one layer of a control vector) in `loaded`'s vocabulary.
pub fn token_ends(loaded: &LanguageModel, vector: &[f32], top: usize) -> TokenEnds {
    let lens = loaded.model.logits(vector);
    let embeddings = loaded.model.embeddings();
    let length = crate::length(vector) as f32;
    let cosines: Vec<f32> = (0..embeddings.rows)
        .map(|r| {
            let row = embeddings.dequantize_row(r);
            let dot: f32 = row.iter().zip(vector).map(|(a, b)| a * b).sum();
            dot / (crate::length(&row) as f32 * length).max(f32::MIN_POSITIVE)
        })
        .collect();
    let ends = |scores: &[f32]| [1.0f32, -1.0].map(|sign| ranked_tokens(loaded, scores, sign, top));
    TokenEnds { lens: ends(&lens), embeddings: ends(&cosines) }
}

fn ranked_tokens(loaded: &LanguageModel, scores: &[f32], sign: f32, top: usize) -> RankedTokens {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| (sign * scores[b]).total_cmp(&(sign * scores[a])).then(a.cmp(&b)));
    order.iter().take(top).map(|&i| (loaded.tokenizer.token_text(i as u32), scores[i])).collect()
}

/// Steering measured to change a registered model's text visibly without breaking it
/// (docs/STEERING.md): the blocks the vector is added at, its coefficient, and whether the
/// vector is built unit length per layer (Gemma's residual stream is thousands long, so its
/// vectors are normalised and pushed with coefficients in the tens).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct SteeringPreset {
    pub layers: [usize; 2],
    pub coefficient: f32,
    pub normalize: bool,
}

/// The preset for a registered model, where one has been measured.
pub fn steering_preset(model: &str) -> Option<SteeringPreset> {
    match model {
        "smollm2-135m" => Some(SteeringPreset { layers: [6, 6], coefficient: 2.0, normalize: false }),
        "gemma3-270m" => Some(SteeringPreset { layers: [6, 12], coefficient: 50.0, normalize: true }),
        _ => None,
    }
}

/// A language model a front end offers: a registered model or a GGUF file.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ModelChoice {
    /// What requests call it: the registered name, or the file's name without `.gguf`.
    pub name: String,
    /// The registered name or the file's path, as `open_language_model` takes it.
    #[serde(skip)]
    pub source: String,
    pub description: String,
    /// The terms of use, for registered models.
    pub license: Option<String>,
    /// Whether it is on disk; a registered model is fetched on first use otherwise.
    pub downloaded: bool,
    /// Transformer blocks, where the file has been read.
    pub layers: Option<usize>,
    pub preset: Option<SteeringPreset>,
}

/// The models to offer, from registered names and GGUF paths (all registered language models
/// when `sources` is empty). A file is opened and checked now, so a server never starts with a
/// model it cannot run; its name must not repeat another's.
pub fn model_choices(sources: &[String]) -> Result<Vec<ModelChoice>> {
    let sources: Vec<String> = if sources.is_empty() {
        fetch::REGISTRY.iter().filter(|e| e.kind == fetch::Kind::LanguageModel).map(|e| e.name.to_owned()).collect()
    } else {
        sources.to_vec()
    };
    let cache = Cache::from_env()?;
    let mut choices: Vec<ModelChoice> = Vec::with_capacity(sources.len());
    for source in sources {
        let registered =
            fetch::registry::find(&source).filter(|e| e.kind == fetch::Kind::LanguageModel && !source.contains('/'));
        let choice = match registered {
            Some(entry) => {
                let path = cache.entry_path(entry);
                let layers = crate::lm::Gguf::open(&path).ok().and_then(|file| block_count(&file));
                ModelChoice {
                    name: entry.name.to_owned(),
                    source: source.clone(),
                    description: entry.description.to_owned(),
                    license: Some(entry.license.to_owned()),
                    downloaded: path.is_file(),
                    layers,
                    preset: steering_preset(entry.name),
                }
            }
            None => {
                // Not registered: a file, which must load (the same error as `lm` commands give).
                let loaded = crate::open_language_model(&source, &crate::progress::Silent)?;
                let name = Path::new(&source).file_stem().and_then(|s| s.to_str()).unwrap_or(&source).to_owned();
                ModelChoice {
                    name,
                    source: source.clone(),
                    description: loaded.model.description.clone(),
                    license: None,
                    downloaded: true,
                    layers: Some(loaded.model.config.layers),
                    preset: None,
                }
            }
        };
        if choices.iter().any(|c| c.name == choice.name) {
            return Err(Error::invalid(format!("two language models are called {:?}", choice.name)));
        }
        choices.push(choice);
    }
    Ok(choices)
}

/// `ARCH.block_count` from a file's metadata.
fn block_count(file: &crate::lm::Gguf) -> Option<usize> {
    let architecture = file.get_str("general.architecture").ok()?;
    file.get_u64(&format!("{architecture}.block_count")).ok().map(|n| n as usize)
}

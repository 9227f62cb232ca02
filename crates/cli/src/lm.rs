//! `vecspace lm …`: a language model (SmolLM2-135M) run in Rust — generation, the residual
//! stream, steering vectors (llama.cpp control-vector files) and what they mean in tokens.

use std::io::Write;
use std::ops::ControlFlow;
use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use vecspace::LanguageModel;
use vecspace::app::steering::{self, Grid, Scorer, check_prompt, evaluate_grid};
use vecspace::lm::steer::{self, ControlVector, Method, Position, Steering};
use vecspace::lm::tokenizer::{ChatFormat, TextStream};
use vecspace::lm::{Hook, Model, NoHook, Sampling};

use crate::progress::Bars;

/// The language model used when none is named.
pub const DEFAULT_MODEL: &str = "smollm2-135m";

/// Most tokens one generation may produce.
const MOST_TOKENS: usize = 4096;

#[derive(Subcommand)]
pub enum LmCommand {
    /// Continue a prompt, streaming the tokens as they come (greedy unless --temperature > 0).
    Generate {
        #[arg(long)]
        prompt: String,
        /// Wrap the prompt in the model's chat template (as a user message).
        #[arg(long)]
        chat: bool,
        #[arg(long, default_value_t = 64)]
        max_tokens: usize,
        /// 0 picks the most likely token every time; above 0, tokens are sampled.
        #[arg(long, default_value_t = 0.0, allow_hyphen_values = true)]
        temperature: f32,
        /// Sample from the smallest set of tokens whose probabilities reach this sum.
        #[arg(long, default_value_t = 1.0)]
        top_p: f32,
        /// The seed of the sampler: the same seed gives the same text.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        #[command(flatten)]
        steer: SteerArgs,
        /// A registered model (smollm2-135m, gemma3-270m) or a GGUF file (llama, qwen2, qwen3, gemma3).
        #[arg(long, default_value = DEFAULT_MODEL)]
        model: String,
    },
    /// The residual stream after each block: its norm per layer, or the vectors as .npy.
    Activations {
        #[arg(long)]
        prompt: String,
        /// Blocks to read (0-based, inclusive), e.g. 0..29.
        #[arg(long, default_value = "0..29")]
        layers: String,
        /// mean (over the prompt's tokens), last (the last token), or a token index (0-based).
        #[arg(long, default_value = "mean")]
        position: Position,
        /// Write the vectors (one row per block read) to this .npy file.
        #[arg(long)]
        out: Option<PathBuf>,
        /// A registered model (smollm2-135m, gemma3-270m) or a GGUF file (llama, qwen2, qwen3, gemma3).
        #[arg(long, default_value = DEFAULT_MODEL)]
        model: String,
    },
    /// Control vectors (llama.cpp's GGUF format).
    #[command(subcommand)]
    Vector(VectorCommand),
    /// The tokens a control vector's layer points to: through the output matrix ("logit lens")
    /// and by cosine with the input embeddings.
    NearestTokens {
        /// A control vector (.gguf).
        file: PathBuf,
        #[arg(long)]
        layer: usize,
        #[arg(long, short = 'k', default_value_t = 10)]
        top: usize,
        /// A registered model (smollm2-135m, gemma3-270m) or a GGUF file (llama, qwen2, qwen3, gemma3).
        #[arg(long, default_value = DEFAULT_MODEL)]
        model: String,
    },
    /// Measure a steering vector: continue many prompts at several coefficients and layer
    /// ranges, score the continuations with a lexicon, and the cost as perplexity on neutral text.
    Evaluate {
        /// The control vector (.gguf).
        #[arg(long)]
        vector: PathBuf,
        /// Prompts, one per line.
        #[arg(long)]
        prompts: PathBuf,
        /// Coefficients to try (0 is the unsteered baseline), comma-separated.
        #[arg(long, value_delimiter = ',', allow_hyphen_values = true, default_value = "-2,-1,0,1,2")]
        coefficients: Vec<f32>,
        /// Layer ranges to try, each A..B or N (llama.cpp's numbering).
        #[arg(long, num_args = 1.., default_value = "6")]
        layers: Vec<String>,
        /// vader (the VADER sentiment lexicon), a file of words (one per line) for a topic, or
        /// words:a,b,c.
        #[arg(long, default_value = "vader")]
        lexicon: String,
        /// A neutral text whose perplexity shows what steering costs off target.
        #[arg(long)]
        neutral: PathBuf,
        #[arg(long, default_value_t = 32)]
        max_tokens: usize,
        /// Continuations shown per row (of the first prompts).
        #[arg(long, default_value_t = 1)]
        examples: usize,
        /// A registered model (smollm2-135m, gemma3-270m) or a GGUF file (llama, qwen2, qwen3, gemma3).
        #[arg(long, default_value = DEFAULT_MODEL)]
        model: String,
    },
    /// Perplexity of a text, unsteered and with steering: what steering costs off target.
    Perplexity {
        #[arg(long)]
        text: String,
        #[command(flatten)]
        steer: SteerArgs,
        /// A registered model (smollm2-135m, gemma3-270m) or a GGUF file (llama, qwen2, qwen3, gemma3).
        #[arg(long, default_value = DEFAULT_MODEL)]
        model: String,
    },
}

#[derive(Subcommand)]
pub enum VectorCommand {
    /// Build a control vector from contrasting prompts: one pair (ActAdd) or many (CAA, or PCA).
    Build {
        /// The positive prompt of one pair, such as "Love".
        #[arg(long, requires = "negative")]
        positive: Option<String>,
        #[arg(long, requires = "positive")]
        negative: Option<String>,
        /// Many pairs: a JSONL file of {"positive": …, "negative": …} objects.
        #[arg(long, conflicts_with = "positive")]
        pairs: Option<PathBuf>,
        /// mean-diff (ActAdd / CAA) or pca-diff (repeng).
        #[arg(long, default_value = "mean-diff")]
        method: Method,
        /// mean (over each prompt's tokens) or last (the last token).
        #[arg(long, default_value = "mean")]
        position: Position,
        /// Scale each layer's vector to unit length (as llama.cpp's generator does).
        #[arg(long)]
        normalize: bool,
        /// The control vector to write (.gguf).
        #[arg(long)]
        out: PathBuf,
        /// Replace the output if it exists.
        #[arg(long)]
        force: bool,
        /// A registered model (smollm2-135m, gemma3-270m) or a GGUF file (llama, qwen2, qwen3, gemma3).
        #[arg(long, default_value = DEFAULT_MODEL)]
        model: String,
    },
    /// A control vector's layers and lengths.
    Show { file: PathBuf },
}

/// Steering options shared by the commands that run the model.
#[derive(Args)]
pub struct SteerArgs {
    /// A control vector and its coefficient, FILE or FILE:COEFF (default 1); several are summed.
    #[arg(long, num_args = 1..)]
    steer: Vec<String>,
    /// The layers to steer (llama.cpp's numbering, inclusive): A..B.
    #[arg(long)]
    layers: Option<String>,
    /// Steer only the generated tokens, not the prompt.
    #[arg(long)]
    generated_only: bool,
}

impl SteerArgs {
    /// The steering hook, or `None` when no vector is given.
    fn hook(&self, model: &Model) -> Result<Option<Steering>> {
        if self.steer.is_empty() {
            if self.layers.is_some() || self.generated_only {
                bail!("--layers and --generated-only choose how to steer; give a vector with --steer FILE[:COEFF]");
            }
            return Ok(None);
        }
        let vectors = self
            .steer
            .iter()
            .map(|spec| {
                let (file, coefficient) = match spec.rsplit_once(':') {
                    Some((file, c)) if c.parse::<f32>().is_ok() => (file, c.parse::<f32>().expect("checked")),
                    _ => (spec.as_str(), 1.0),
                };
                if !coefficient.is_finite() {
                    bail!("the coefficient of {file} is not finite");
                }
                let vector = ControlVector::read(Path::new(file))?;
                Ok((vector, coefficient))
            })
            .collect::<Result<Vec<_>>>()?;
        let last = model.config.layers - 1;
        let layers = match &self.layers {
            Some(text) => parse_range(text, "--layers")?,
            None => 1..=last,
        };
        Ok(Some(Steering::new(&vectors, layers, model)?))
    }
}

/// `A..B` (inclusive) or a single number.
fn parse_range(text: &str, what: &str) -> Result<RangeInclusive<usize>> {
    let number = |t: &str| t.trim().parse::<usize>().with_context(|| format!("{what} takes A..B or N, not {text:?}"));
    match text.split_once("..") {
        Some((a, b)) => Ok(number(a)?..=number(b.trim_start_matches('='))?),
        None => {
            let n = number(text)?;
            Ok(n..=n)
        }
    }
}

/// Fetches (on first use) and loads a registered language model.
pub fn load(name: &str) -> Result<LanguageModel> {
    Ok(vecspace::open_language_model(name, &Bars::new())?)
}

pub fn run(command: LmCommand, json: bool) -> Result<()> {
    match command {
        LmCommand::Generate { prompt, chat, max_tokens, temperature, top_p, seed, steer, model } => {
            if !(1..=MOST_TOKENS).contains(&max_tokens) {
                bail!("--max-tokens must be between 1 and {MOST_TOKENS}");
            }
            if !(temperature.is_finite() && temperature >= 0.0) {
                bail!("--temperature must be a number ≥ 0");
            }
            if !(top_p > 0.0 && top_p <= 1.0) {
                bail!("--top-p must be more than 0 and at most 1");
            }
            let loaded = load(&model)?;
            let text = if chat { ChatFormat::of(&loaded.file, &loaded.tokenizer)?.prompt(&prompt) } else { prompt };
            let ids = loaded.tokenizer.encode(&text)?;
            check_prompt(&ids, max_tokens, &loaded.model)?;
            let steering = steer.hook(&loaded.model)?;
            let mut hook: Box<dyn Hook> = match steering {
                Some(mut s) => {
                    if steer.generated_only {
                        s.from_position = ids.len();
                    }
                    Box::new(s)
                }
                None => Box::new(NoHook),
            };
            let sampling = Sampling { temperature, top_p, seed };
            let mut stream = TextStream::default();
            let mut stdout = std::io::stdout().lock();
            let mut failed = None;
            // A closed stdout (a pipe into `head`) ends the generation.
            let mut show = |token: u32| {
                let piece = stream.push(loaded.tokenizer.token_bytes(token));
                match stdout.write_all(piece.as_bytes()).and_then(|()| stdout.flush()) {
                    Ok(()) => ControlFlow::Continue(()),
                    Err(e) => {
                        failed = Some(e);
                        ControlFlow::Break(())
                    }
                }
            };
            let (_, stats) = vecspace::lm::generate(
                &loaded.model,
                &loaded.tokenizer,
                &ids,
                max_tokens,
                sampling,
                hook.as_mut(),
                &mut show,
            )?;
            if let Some(e) = failed {
                return Err(e).context("writing the text");
            }
            let rest = stream.finish();
            writeln!(stdout, "{rest}")?;
            eprintln!(
                "{} prompt tokens in {:.0} ms ({:.1}/s), {} generated at {:.1} tokens/s",
                stats.prompt_tokens,
                stats.prompt_time.as_secs_f64() * 1000.0,
                stats.prompt_tokens_per_second(),
                stats.generated_tokens,
                stats.tokens_per_second()
            );
            Ok(())
        }
        LmCommand::Activations { prompt, layers, position, out, model } => {
            let loaded = load(&model)?;
            let (prefix, ids) = loaded.tokenizer.encode_for_reading(&prompt)?;
            check_prompt(&ids, 0, &loaded.model)?;
            let blocks = parse_range(&layers, "--layers")?;
            if *blocks.end() >= loaded.model.config.layers || blocks.start() > blocks.end() {
                bail!(
                    "--layers {layers} is out of range: the model has blocks 0 to {}",
                    loaded.model.config.layers - 1
                );
            }
            let activations = steer::activations(&loaded.model, &prefix, &ids)?;
            let rows: Vec<Vec<f32>> = blocks.clone().map(|b| activations.at(b, position)).collect::<Result<_, _>>()?;
            match out {
                Some(path) => {
                    let flat: Vec<f32> = rows.iter().flatten().copied().collect();
                    vecspace::formats::npy::write_matrix(&path, rows.len(), loaded.model.config.width, &flat)?;
                    eprintln!("{} × {} → {}", rows.len(), loaded.model.config.width, path.display());
                }
                None => {
                    let over = if position == Position::Last {
                        "at the last token".to_owned()
                    } else {
                        format!("averaged over {} tokens", ids.len())
                    };
                    let after: Vec<String> = prefix.iter().map(|&id| loaded.tokenizer.token_text(id)).collect();
                    outln!("block  norm of the residual stream, {over}, after {}", after.join(""))?;
                    for (block, row) in blocks.zip(&rows) {
                        outln!("{block:>5}  {:.3}", vecspace::length(row))?;
                    }
                }
            }
            Ok(())
        }
        LmCommand::Vector(VectorCommand::Build {
            positive,
            negative,
            pairs,
            method,
            position,
            normalize,
            out,
            force,
            model,
        }) => {
            let inputs: Vec<PathBuf> = pairs.iter().cloned().chain([PathBuf::from(&model)]).collect();
            let pairs = match (positive, negative, pairs) {
                (Some(p), Some(n), None) => vec![(p, n)],
                (None, None, Some(file)) => steering::read_pairs(&file)?,
                _ => bail!("give one pair with --positive and --negative, or many with --pairs FILE.jsonl"),
            };
            let inputs: Vec<&Path> = inputs.iter().map(PathBuf::as_path).collect();
            vecspace::app::files::check_output(&out, &inputs, vecspace::app::files::Overwrite::force(force))?;
            let loaded = load(&model)?;
            let mut vector = steer::build(&loaded.model, &loaded.tokenizer, &pairs, method, position, &Bars::new())?;
            if normalize {
                vector = vector.normalized();
            }
            vector.write(&out, loaded.model.config.architecture.name())?;
            eprintln!("{} layers × {} → {}", vector.layers.len(), loaded.model.config.width, out.display());
            print_vector(&vector)?;
            Ok(())
        }
        LmCommand::Vector(VectorCommand::Show { file }) => {
            print_vector(&ControlVector::read(&file)?)?;
            Ok(())
        }
        LmCommand::NearestTokens { file, layer, top, model } => {
            let vector = ControlVector::read(&file)?;
            let Some(v) = vector.layers.get(&layer) else {
                let have: Vec<String> = vector.layers.keys().map(usize::to_string).collect();
                bail!("{} has no layer {layer}; it has {}", file.display(), have.join(", "));
            };
            let loaded = load(&model)?;
            vector.check(&loaded.model)?;
            let ends = steering::token_ends(&loaded, v, top);
            let show = |tokens: &steering::RankedTokens| -> String {
                tokens.iter().map(|(token, score)| format!("{token} {score:+.3}")).collect::<Vec<_>>().join(", ")
            };
            outln!("layer {layer} of {}", file.display())?;
            outln!("  logit lens, + end   {}", show(&ends.lens[0]))?;
            outln!("  logit lens, − end   {}", show(&ends.lens[1]))?;
            outln!("  embeddings, + end   {}", show(&ends.embeddings[0]))?;
            outln!("  embeddings, − end   {}", show(&ends.embeddings[1]))?;
            Ok(())
        }
        LmCommand::Evaluate {
            vector,
            prompts,
            coefficients,
            layers,
            lexicon,
            neutral,
            max_tokens,
            examples,
            model,
        } => {
            let options = EvaluateOptions { coefficients, layers, max_tokens, examples };
            evaluate_steering(&vector, &prompts, &lexicon, &neutral, &model, options, json)
        }
        LmCommand::Perplexity { text, steer, model } => {
            let loaded = load(&model)?;
            let ids = loaded.tokenizer.encode(&text)?;
            check_prompt(&ids, 0, &loaded.model)?;
            let plain = steer::mean_nll(&loaded.model, &ids, &mut NoHook)?;
            let steered = match steer.hook(&loaded.model)? {
                Some(mut hook) => Some(steer::mean_nll(&loaded.model, &ids, &mut hook)?),
                None => None,
            };
            if json {
                let report = serde_json::json!({
                    "tokens": ids.len() - 1,
                    "perplexity": plain.exp(),
                    "steered_perplexity": steered.map(f64::exp),
                });
                outln!("{}", serde_json::to_string_pretty(&report)?)?;
                return Ok(());
            }
            outln!("unsteered  perplexity {:.3} over {} tokens", plain.exp(), ids.len() - 1)?;
            if let Some(steered) = steered {
                outln!(
                    "steered    perplexity {:.3} ({:+.1} %)",
                    steered.exp(),
                    ((steered - plain).exp() - 1.0) * 100.0
                )?;
            }
            Ok(())
        }
    }
}

fn print_vector(vector: &ControlVector) -> Result<()> {
    let lengths: Vec<String> = vector.layers.iter().map(|(n, v)| format!("{n}:{:.2}", vecspace::length(v))).collect();
    outln!(
        "{} layers, width {}; length per layer: {}",
        vector.layers.len(),
        vector.width().unwrap_or(0),
        lengths.join(" ")
    )?;
    if let Some(built_on) = &vector.built_on {
        outln!("built on {built_on}")?;
    }
    Ok(())
}

struct EvaluateOptions {
    coefficients: Vec<f32>,
    layers: Vec<String>,
    max_tokens: usize,
    examples: usize,
}

fn evaluate_steering(
    vector: &Path,
    prompts: &Path,
    lexicon_spec: &str,
    neutral: &Path,
    model: &str,
    options: EvaluateOptions,
    json: bool,
) -> Result<()> {
    let bars = Bars::new();
    let scorer = Scorer::named(lexicon_spec, &bars)?;
    let prompts: Vec<String> = std::fs::read_to_string(prompts)
        .with_context(|| format!("reading {}", prompts.display()))?
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect();
    if !(1..=MOST_TOKENS).contains(&options.max_tokens) {
        bail!("--max-tokens must be between 1 and {MOST_TOKENS}");
    }
    let neutral_text = std::fs::read_to_string(neutral).with_context(|| format!("reading {}", neutral.display()))?;
    let control = ControlVector::read(vector)?;
    let loaded = load(model)?;
    let ranges = options.layers.iter().map(|l| parse_range(l, "--layers")).collect::<Result<Vec<_>>>()?;
    let grid =
        Grid { ranges, coefficients: options.coefficients, max_tokens: options.max_tokens, examples: options.examples };
    let rows = evaluate_grid(&loaded, &control, &prompts, &neutral_text, &scorer, &grid, &bars)?;
    if json {
        outln!("{}", serde_json::to_string_pretty(&rows)?)?;
        return Ok(());
    }
    let (score_name, share_name) =
        if scorer.sentiment { ("mean sentiment", "share positive") } else { ("topic words per 100", "share on topic") };
    outln!("| layers | coefficient | {score_name} | {share_name} | perplexity of neutral text |")?;
    outln!("|---|---|---|---|---|")?;
    for row in &rows {
        outln!(
            "| {} | {:+} | {:+.3} | {:.0} % | {:.2} |",
            row.layers,
            row.coefficient,
            row.mean_score,
            row.share * 100.0,
            row.perplexity
        )?;
    }
    for row in rows.iter().filter(|r| !r.examples.is_empty()) {
        for (prompt, text) in prompts.iter().zip(&row.examples) {
            outln!("[{} × {:+}] {prompt}{}", row.layers, row.coefficient, text.replace('\n', " ⏎ "))?;
        }
    }
    Ok(())
}

//! `vecspace lm …`: a language model (SmolLM2-135M) run in Rust — generation now; steering and
//! activations build on the same hook.

use std::io::Write;

use anyhow::{Context, Result, bail};
use clap::Subcommand;
use vecspace::fetch::{self, Cache};
use vecspace::lm::tokenizer::{TextStream, chat_prompt, check_chat_template};
use vecspace::lm::{Gguf, Llama, NoHook, Sampling, Tokenizer};

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
        #[arg(long, default_value = DEFAULT_MODEL)]
        model: String,
    },
}

/// A loaded model with its tokenizer and file.
pub struct Loaded {
    pub file: Gguf,
    pub model: Llama,
    pub tokenizer: Tokenizer,
}

/// Fetches (on first use) and loads a registered language model.
pub fn load(name: &str) -> Result<Loaded> {
    let entry = fetch::registry::find(name)
        .filter(|e| e.kind == fetch::Kind::LanguageModel)
        .with_context(|| format!("unknown language model {name:?}; known: {DEFAULT_MODEL}"))?;
    let path = fetch::ensure(entry.name, &Cache::from_env()?, &Bars::new())?;
    let file = Gguf::open(&path)?;
    let model = Llama::load(&file)?;
    let tokenizer = Tokenizer::from_gguf(&file)?;
    Ok(Loaded { file, model, tokenizer })
}

pub fn run(command: LmCommand) -> Result<()> {
    match command {
        LmCommand::Generate { prompt, chat, max_tokens, temperature, top_p, seed, model } => {
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
            let text = if chat {
                check_chat_template(&loaded.file)?;
                chat_prompt(&prompt, None)
            } else {
                prompt
            };
            let ids = loaded.tokenizer.encode(&text)?;
            let sampling = Sampling { temperature, top_p, seed };
            let mut stream = TextStream::default();
            let mut stdout = std::io::stdout().lock();
            let mut failed = None;
            let mut show = |token: u32| {
                let piece = stream.push(loaded.tokenizer.token_bytes(token));
                if failed.is_none()
                    && let Err(e) = stdout.write_all(piece.as_bytes()).and_then(|()| stdout.flush())
                {
                    failed = Some(e);
                }
            };
            let (_, stats) = vecspace::lm::generate(
                &loaded.model,
                &loaded.tokenizer,
                &ids,
                max_tokens,
                sampling,
                &mut NoHook,
                &mut show,
            )?;
            let rest = stream.finish();
            writeln!(stdout, "{rest}")?;
            if let Some(e) = failed {
                return Err(e).context("writing the text");
            }
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
    }
}

//! Text generation: the prompt is run through the model, then tokens are chosen one at a time —
//! greedily, or sampled with a temperature and nucleus (top-p) cut from a seeded generator so a
//! seed always gives the same text.

use std::ops::ControlFlow;
use std::time::{Duration, Instant};

use vecspace_core::random::SplitMix64;

use crate::LmError;
use crate::model::{Hook, Model};
use crate::tokenizer::Tokenizer;

/// How the next token is chosen.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sampling {
    /// 0 picks the most likely token (greedy); otherwise logits are divided by it.
    pub temperature: f32,
    /// Sample only from the smallest set of tokens whose probabilities reach this sum.
    pub top_p: f32,
    pub seed: u64,
}

impl Sampling {
    pub const GREEDY: Sampling = Sampling { temperature: 0.0, top_p: 1.0, seed: 0 };
}

/// Counts and times of one generation.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Stats {
    pub prompt_tokens: usize,
    pub prompt_time: Duration,
    pub generated_tokens: usize,
    pub generation_time: Duration,
}

impl Stats {
    pub fn prompt_tokens_per_second(&self) -> f64 {
        self.prompt_tokens as f64 / self.prompt_time.as_secs_f64()
    }

    /// Decode speed: tokens after the first, over the time they took.
    pub fn tokens_per_second(&self) -> f64 {
        self.generated_tokens as f64 / self.generation_time.as_secs_f64()
    }
}

/// Chooses a token from logits.
pub struct Sampler {
    sampling: Sampling,
    rng: SplitMix64,
}

impl Sampler {
    pub fn new(sampling: Sampling) -> Sampler {
        Sampler { sampling, rng: SplitMix64(sampling.seed) }
    }

    pub fn choose(&mut self, logits: &[f32]) -> u32 {
        let argmax =
            || logits.iter().enumerate().fold(0, |best, (i, v)| if *v > logits[best] { i } else { best }) as u32;
        if self.sampling.temperature <= 0.0 {
            return argmax();
        }
        let max = logits.iter().fold(f32::NEG_INFINITY, |m, v| m.max(*v));
        let mut weighted: Vec<(u32, f64)> = logits
            .iter()
            .enumerate()
            .map(|(i, v)| (i as u32, (f64::from(v - max) / f64::from(self.sampling.temperature)).exp()))
            .collect();
        weighted.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        let total: f64 = weighted.iter().map(|w| w.1).sum();
        let (mut kept, mut mass) = (0, 0.0);
        for (_, w) in &weighted {
            kept += 1;
            mass += w / total;
            if mass >= f64::from(self.sampling.top_p) {
                break;
            }
        }
        let nucleus = &weighted[..kept];
        let sum: f64 = nucleus.iter().map(|w| w.1).sum();
        let mut target = self.rng.next_f64() * sum;
        for &(id, w) in nucleus {
            if target < w {
                return id;
            }
            target -= w;
        }
        nucleus[kept - 1].0
    }
}

/// Runs `prompt` and generates up to `max_tokens` tokens, calling `on_token` with each as it comes;
/// stops early at the end-of-sequence token or any other control token (an end of turn), or when
/// `on_token` breaks (its reader has gone away).
pub fn generate(
    model: &Model,
    tokenizer: &Tokenizer,
    prompt: &[u32],
    max_tokens: usize,
    sampling: Sampling,
    hook: &mut dyn Hook,
    on_token: &mut dyn FnMut(u32) -> ControlFlow<()>,
) -> Result<(Vec<u32>, Stats), LmError> {
    if prompt.is_empty() {
        return Err(LmError::Invalid("the prompt is empty".into()));
    }
    if prompt.len() + max_tokens > model.config.context {
        return Err(LmError::ContextFull { context: model.config.context });
    }
    let mut cache = model.new_cache();
    let mut stats = Stats { prompt_tokens: prompt.len(), ..Stats::default() };
    let start = Instant::now();
    let mut logits = Vec::new();
    let batches = prompt.chunks(crate::model::PROMPT_BATCH);
    let count = batches.len();
    for (i, batch) in batches.enumerate() {
        if let Some(l) = model.forward_batch(batch, &mut cache, hook, i + 1 == count)? {
            logits = l;
        }
    }
    stats.prompt_time = start.elapsed();
    let mut sampler = Sampler::new(sampling);
    let mut generated = Vec::new();
    let start = Instant::now();
    for step in 0..max_tokens {
        let token = sampler.choose(&logits);
        if token == tokenizer.eos || tokenizer.is_control(token) {
            break;
        }
        generated.push(token);
        if on_token(token).is_break() {
            break;
        }
        if step + 1 < max_tokens {
            logits = model.forward(token, &mut cache, hook, true)?.expect("logits were asked for");
        }
    }
    stats.generation_time = start.elapsed();
    stats.generated_tokens = generated.len();
    Ok((generated, stats))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn greedy_takes_the_maximum_and_sampling_is_reproducible() {
        let logits = [0.5, 3.0, 2.9, -1.0];
        assert_eq!(Sampler::new(Sampling::GREEDY).choose(&logits), 1);
        let sampling = Sampling { temperature: 1.0, top_p: 1.0, seed: 7 };
        let draws = |s: Sampling| -> Vec<u32> {
            let mut sampler = Sampler::new(s);
            (0..200).map(|_| sampler.choose(&logits)).collect()
        };
        assert_eq!(draws(sampling), draws(sampling));
        let seen = draws(sampling);
        assert!(seen.contains(&1) && seen.contains(&2) && seen.contains(&0));
        // Token 1 holds 49.7 % of the probability: a nucleus of 0.4 is token 1 alone.
        assert!(draws(Sampling { top_p: 0.4, ..sampling }).iter().all(|&t| t == 1));
    }
}

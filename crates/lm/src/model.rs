//! A llama-architecture transformer (as SmolLM2 is) run one token at a time with a key–value
//! cache, and a hook after every block so the residual stream can be read or steered.
//!
//! Per block: `h = x + Wo·attention(rope(Wq·n(x)), rope(Wk·n(x)), Wv·n(x))`, then
//! `x' = h + Wdown·(silu(Wgate·n(h)) ⊙ Wup·n(h))`, with `n` RMS normalisation times a learned
//! gain. Grouped-query attention: each key–value head serves `heads / kv_heads` query heads.
//! Rotary position embedding in GGUF's llama convention rotates adjacent pairs `(2i, 2i + 1)` of
//! each head by `position · base^(−2i / head_dim)` (the converter permuted the weights so this
//! equals Hugging Face's half-split rotation).

use crate::LmError;
use crate::gguf::Gguf;
use crate::quant::{QMatrix, quantize};

/// The shape of the network, from the GGUF metadata.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub layers: usize,
    pub width: usize,
    pub feed_forward: usize,
    pub heads: usize,
    pub kv_heads: usize,
    pub head_dim: usize,
    pub rope_base: f32,
    pub norm_epsilon: f32,
    pub vocab: usize,
    pub context: usize,
}

struct Block {
    attention_norm: Vec<f32>,
    query: QMatrix,
    key: QMatrix,
    value: QMatrix,
    output: QMatrix,
    ffn_norm: Vec<f32>,
    gate: QMatrix,
    up: QMatrix,
    down: QMatrix,
}

/// How the matrix products are computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Precision {
    /// Inputs quantised to 8 bits per block and integer block products, as llama.cpp does.
    #[default]
    Fast,
    /// Dequantised weights times unquantised inputs, summed in f64: the reference.
    Exact,
}

/// A loaded model.
pub struct Llama {
    pub config: Config,
    pub precision: Precision,
    embeddings: QMatrix,
    blocks: Vec<Block>,
    output_norm: Vec<f32>,
    /// `None` when the output projection is tied to the embeddings (SmolLM2).
    output: Option<QMatrix>,
}

/// Past keys and values of one sequence, per layer.
#[derive(Debug, Clone)]
pub struct Cache {
    keys: Vec<Vec<f32>>,
    values: Vec<Vec<f32>>,
    /// Tokens processed so far: the position of the next one.
    pub len: usize,
}

/// Called after each block with the residual stream of the current token, which it may change.
pub trait Hook {
    fn after_block(&mut self, layer: usize, position: usize, residual: &mut [f32]);
}

/// A hook that does nothing.
pub struct NoHook;

impl Hook for NoHook {
    fn after_block(&mut self, _: usize, _: usize, _: &mut [f32]) {}
}

fn rms_norm(x: &[f32], gain: &[f32], epsilon: f32) -> Vec<f32> {
    let mean_square = x.iter().map(|v| f64::from(*v) * f64::from(*v)).sum::<f64>() / x.len() as f64;
    let scale = (1.0 / (mean_square + f64::from(epsilon)).sqrt()) as f32;
    x.iter().zip(gain).map(|(v, g)| v * scale * g).collect()
}

impl Llama {
    /// Reads the model from a GGUF file, checking every tensor's shape.
    pub fn load(file: &Gguf) -> Result<Llama, LmError> {
        let architecture = file.get_str("general.architecture")?;
        if architecture != "llama" {
            return Err(LmError::Unsupported(format!("architecture {architecture:?} (vecspace runs llama)")));
        }
        let count = |key: &str| -> Result<usize, LmError> { Ok(file.get_u64(&format!("llama.{key}"))? as usize) };
        let (width, heads) = (count("embedding_length")?, count("attention.head_count")?);
        let kv_heads = match file.metadata.get("llama.attention.head_count_kv") {
            Some(_) => count("attention.head_count_kv")?,
            None => heads,
        };
        let embeddings = file.tensor("token_embd.weight").ok_or_else(|| file.invalid("no token_embd.weight".into()))?;
        let config = Config {
            layers: count("block_count")?,
            width,
            feed_forward: count("feed_forward_length")?,
            heads,
            kv_heads,
            head_dim: width.checked_div(heads).unwrap_or(0),
            rope_base: file.get_f64("llama.rope.freq_base").unwrap_or(10_000.0) as f32,
            norm_epsilon: file.get_f64("llama.attention.layer_norm_rms_epsilon")? as f32,
            vocab: embeddings.rows_and_columns().0,
            context: count("context_length")?,
        };
        let c = &config;
        if c.heads == 0
            || c.kv_heads == 0
            || !c.width.is_multiple_of(c.heads)
            || !c.heads.is_multiple_of(c.kv_heads)
            || !c.head_dim.is_multiple_of(2)
        {
            return Err(LmError::Unsupported(format!("attention shape {c:?}")));
        }
        if c.layers == 0 || c.layers > 1000 || c.width > 1 << 16 || c.feed_forward > 1 << 18 {
            return Err(LmError::Unsupported(format!("implausible shape {c:?}")));
        }
        let kv_width = c.kv_heads * c.head_dim;
        let matrix = |name: &str, rows: usize, columns: usize| -> Result<QMatrix, LmError> {
            let info = file.tensor(name).ok_or_else(|| file.invalid(format!("no tensor {name}")))?;
            if info.rows_and_columns() != (rows, columns) || info.dims.len() != 2 {
                return Err(file
                    .invalid(format!("{name} has shape {:?}; expected {rows} rows of {columns}", info.dims))
                    .into());
            }
            QMatrix::new(info.kind, rows, columns, file.bytes(info).to_vec())
                .map_err(|m| file.invalid(format!("{name}: {m}")).into())
        };
        let vector = |name: &str| -> Result<Vec<f32>, LmError> {
            let m = matrix_1d(file, name, c.width)?;
            Ok(m.dequantize_row(0))
        };
        let mut blocks = Vec::with_capacity(c.layers);
        for layer in 0..c.layers {
            let name = |part: &str| format!("blk.{layer}.{part}.weight");
            blocks.push(Block {
                attention_norm: vector(&name("attn_norm"))?,
                query: matrix(&name("attn_q"), c.width, c.width)?,
                key: matrix(&name("attn_k"), kv_width, c.width)?,
                value: matrix(&name("attn_v"), kv_width, c.width)?,
                output: matrix(&name("attn_output"), c.width, c.width)?,
                ffn_norm: vector(&name("ffn_norm"))?,
                gate: matrix(&name("ffn_gate"), c.feed_forward, c.width)?,
                up: matrix(&name("ffn_up"), c.feed_forward, c.width)?,
                down: matrix(&name("ffn_down"), c.width, c.feed_forward)?,
            });
        }
        let output = match file.tensor("output.weight") {
            Some(_) => Some(matrix("output.weight", c.vocab, c.width)?),
            None => None,
        };
        Ok(Llama {
            embeddings: matrix("token_embd.weight", c.vocab, c.width)?,
            output_norm: vector("output_norm.weight")?,
            output,
            blocks,
            config,
            precision: Precision::Fast,
        })
    }

    pub fn new_cache(&self) -> Cache {
        let layers = self.config.layers;
        Cache { keys: vec![Vec::new(); layers], values: vec![Vec::new(); layers], len: 0 }
    }

    /// The input embedding of a token.
    pub fn embedding(&self, token: u32) -> Result<Vec<f32>, LmError> {
        if token as usize >= self.config.vocab {
            return Err(LmError::Token { token, vocab: self.config.vocab });
        }
        Ok(self.embeddings.dequantize_row(token as usize))
    }

    /// The matrix mapping the final residual to logits (the embeddings when tied).
    pub fn unembedding(&self) -> &QMatrix {
        self.output.as_ref().unwrap_or(&self.embeddings)
    }

    /// The token embedding matrix.
    pub fn embeddings(&self) -> &QMatrix {
        &self.embeddings
    }

    /// Logits of a residual-stream vector: final normalisation, then the output projection.
    pub fn logits(&self, residual: &[f32]) -> Vec<f32> {
        self.product(self.unembedding(), &rms_norm(residual, &self.output_norm, self.config.norm_epsilon))
    }

    /// `matrix · x` at the model's precision.
    fn product(&self, matrix: &QMatrix, x: &[f32]) -> Vec<f32> {
        let [out] = self.products([matrix], x);
        out
    }

    /// Each matrix times the same `x`, which is quantised once for all of them.
    fn products<const N: usize>(&self, matrices: [&QMatrix; N], x: &[f32]) -> [Vec<f32>; N] {
        let quantized = (self.precision == Precision::Fast).then(|| quantize(x));
        matrices.map(|matrix| {
            let mut out = vec![0.0; matrix.rows];
            match &quantized {
                Some(xq) => matrix.matvec(x, xq, &mut out),
                None => matrix.matvec_exact(x, &mut out),
            }
            out
        })
    }

    /// Runs `token` at the next position of `cache`, calling `hook` after each block; returns the
    /// next-token logits when `want_logits`.
    pub fn forward(
        &self,
        token: u32,
        cache: &mut Cache,
        hook: &mut dyn Hook,
        want_logits: bool,
    ) -> Result<Option<Vec<f32>>, LmError> {
        let c = &self.config;
        let position = cache.len;
        if position >= c.context {
            return Err(LmError::ContextFull { context: c.context });
        }
        let mut x = self.embedding(token)?;
        let group = c.heads / c.kv_heads;
        let scale = 1.0 / (c.head_dim as f32).sqrt();
        for (layer, block) in self.blocks.iter().enumerate() {
            let n = rms_norm(&x, &block.attention_norm, c.norm_epsilon);
            let [mut q, mut k, v] = self.products([&block.query, &block.key, &block.value], &n);
            rope(&mut q, c.head_dim, position, c.rope_base);
            rope(&mut k, c.head_dim, position, c.rope_base);
            cache.keys[layer].extend_from_slice(&k);
            cache.values[layer].extend_from_slice(&v);
            let (keys, values) = (&cache.keys[layer], &cache.values[layer]);
            let kv_width = k.len();
            let mut attended = vec![0.0f32; c.width];
            for head in 0..c.heads {
                let kv = head / group;
                let qh = &q[head * c.head_dim..(head + 1) * c.head_dim];
                let mut scores: Vec<f32> = (0..=position)
                    .map(|p| {
                        let kh = &keys[p * kv_width + kv * c.head_dim..][..c.head_dim];
                        qh.iter().zip(kh).map(|(a, b)| a * b).sum::<f32>() * scale
                    })
                    .collect();
                softmax(&mut scores);
                let out = &mut attended[head * c.head_dim..(head + 1) * c.head_dim];
                for (p, weight) in scores.iter().enumerate() {
                    let vh = &values[p * kv_width + kv * c.head_dim..][..c.head_dim];
                    out.iter_mut().zip(vh).for_each(|(o, v)| *o += weight * v);
                }
            }
            let projected = self.product(&block.output, &attended);
            x.iter_mut().zip(&projected).for_each(|(a, b)| *a += b);
            let n = rms_norm(&x, &block.ffn_norm, c.norm_epsilon);
            let [gate, up] = self.products([&block.gate, &block.up], &n);
            let hidden: Vec<f32> = gate.iter().zip(&up).map(|(g, u)| g / (1.0 + (-g).exp()) * u).collect();
            let down = self.product(&block.down, &hidden);
            x.iter_mut().zip(&down).for_each(|(a, b)| *a += b);
            hook.after_block(layer, position, &mut x);
            // Cheap beside the block's products, and the only sign of an overflow: past it every
            // token would be a confident guess from NaN logits.
            if !x.iter().all(|v| v.is_finite()) {
                return Err(LmError::NonFiniteActivations { layer, position });
            }
        }
        cache.len += 1;
        Ok(want_logits.then(|| self.logits(&x)))
    }
}

/// A 1-D F32 (or other type) tensor of `len` values, as a one-row matrix.
fn matrix_1d(file: &Gguf, name: &str, len: usize) -> Result<QMatrix, LmError> {
    let info = file.tensor(name).ok_or_else(|| file.invalid(format!("no tensor {name}")))?;
    if info.dims != [len as u64] {
        return Err(file.invalid(format!("{name} has shape {:?}; expected [{len}]", info.dims)).into());
    }
    QMatrix::new(info.kind, 1, len, file.bytes(info).to_vec()).map_err(|m| file.invalid(format!("{name}: {m}")).into())
}

/// Rotates adjacent pairs of each head by the position's angles.
fn rope(x: &mut [f32], head_dim: usize, position: usize, base: f32) {
    for head in x.chunks_exact_mut(head_dim) {
        for i in 0..head_dim / 2 {
            let theta = position as f64 * f64::from(base).powf(-2.0 * i as f64 / head_dim as f64);
            let (sin, cos) = (theta.sin() as f32, theta.cos() as f32);
            let (a, b) = (head[2 * i], head[2 * i + 1]);
            head[2 * i] = a * cos - b * sin;
            head[2 * i + 1] = a * sin + b * cos;
        }
    }
}

fn softmax(x: &mut [f32]) {
    let max = x.iter().fold(f32::NEG_INFINITY, |m, v| m.max(*v));
    let mut sum = 0.0;
    for v in x.iter_mut() {
        *v = (*v - max).exp();
        sum += *v;
    }
    x.iter_mut().for_each(|v| *v /= sum);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rope_rotates_pairs_and_keeps_lengths() {
        let mut x = vec![1.0, 0.0, 0.0, 1.0];
        rope(&mut x, 4, 0, 10_000.0);
        assert_eq!(x, vec![1.0, 0.0, 0.0, 1.0]);
        // Position 1: the first pair turns by 1 radian, the second by 1/100.
        rope(&mut x, 4, 1, 10_000.0);
        assert!((x[0] - 1f32.cos()).abs() < 1e-6 && (x[1] - 1f32.sin()).abs() < 1e-6);
        assert!((x[2] + 0.01f32.sin()).abs() < 1e-6 && (x[3] - 0.01f32.cos()).abs() < 1e-6);
    }

    #[test]
    fn softmax_and_norm_are_the_textbook_ones() {
        let mut x = vec![1.0, 2.0, 3.0];
        softmax(&mut x);
        let e: Vec<f32> = [1.0f32, 2.0, 3.0].iter().map(|v| v.exp()).collect();
        let s: f32 = e.iter().sum();
        assert!(x.iter().zip(&e).all(|(a, b)| (a - b / s).abs() < 1e-6));
        let n = rms_norm(&[3.0, 4.0], &[1.0, 2.0], 0.0);
        let r = (12.5f32).sqrt();
        assert!((n[0] - 3.0 / r).abs() < 1e-6 && (n[1] - 8.0 / r).abs() < 1e-6);
    }
}

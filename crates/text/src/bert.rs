//! The BERT encoder (post-layer-norm, absolute positions, erf GELU), as Hugging Face's `BertModel`
//! computes it, in single precision.
//!
//! The tokens of a batch of texts are packed end to end, with no padding: every step but
//! attention works token by token, so a batch is one matrix of all its tokens, and attention runs
//! within each text. Nothing is spent on padding, and a text's vector does not depend on what it
//! was batched with beyond the order of floating-point sums.

use std::path::Path;

use rayon::prelude::*;

use crate::kernels::{View, add_bias, bias_gelu, bias_residual_norm, layer_norm, linear, product, softmax};
use crate::safetensors::Tensors;
use crate::{Error, Result};

/// The architecture numbers of `config.json` this encoder needs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Config {
    pub vocab: usize,
    pub hidden: usize,
    pub layers: usize,
    pub heads: usize,
    pub intermediate: usize,
    pub positions: usize,
    pub type_vocab: usize,
    pub layer_norm_eps: f64,
}

impl Config {
    /// Reads and checks `config.json`: a BERT with GELU and absolute positions, of a plausible
    /// size.
    pub fn parse(path: &Path, json: &serde_json::Value) -> Result<Config> {
        let bad = |message: String| Error::Model { path: path.to_owned(), message };
        let number = |key: &str, most: u64| -> Result<usize> {
            match json[key].as_u64() {
                Some(value) if (1..=most).contains(&value) => Ok(value as usize),
                _ => Err(bad(format!("{key} is {}; expected a whole number from 1 to {most}", json[key]))),
            }
        };
        let text = |key: &str| json[key].as_str().unwrap_or("");
        if text("model_type") != "bert" {
            return Err(bad(format!("model_type is {}; this encoder runs BERT models", json["model_type"])));
        }
        if text("hidden_act") != "gelu" {
            return Err(bad(format!("hidden_act is {}; this encoder has GELU (erf)", json["hidden_act"])));
        }
        if json.get("position_embedding_type").is_some_and(|p| p != "absolute") {
            return Err(bad("only absolute position embeddings are supported".into()));
        }
        let config = Config {
            vocab: number("vocab_size", 1 << 20)?,
            hidden: number("hidden_size", 8192)?,
            layers: number("num_hidden_layers", 256)?,
            heads: number("num_attention_heads", 256)?,
            intermediate: number("intermediate_size", 65_536)?,
            positions: number("max_position_embeddings", 1 << 16)?,
            type_vocab: number("type_vocab_size", 16)?,
            layer_norm_eps: json["layer_norm_eps"].as_f64().filter(|e| *e > 0.0 && *e < 1.0).unwrap_or(1e-12),
        };
        if !config.hidden.is_multiple_of(config.heads) {
            return Err(bad(format!("hidden_size {} is not a multiple of {} heads", config.hidden, config.heads)));
        }
        Ok(config)
    }
}

/// A dense layer: `inputs × outputs` weights, row-major (the checkpoint's matrix transposed),
/// and `outputs` biases.
struct Dense {
    weight: Vec<f32>,
    bias: Vec<f32>,
}

struct Norm {
    weight: Vec<f32>,
    bias: Vec<f32>,
}

struct Layer {
    /// Query, key and value stacked: one product gives all three.
    qkv: Dense,
    attention_out: Dense,
    attention_norm: Norm,
    intermediate: Dense,
    output: Dense,
    output_norm: Norm,
}

/// The weights of a BERT encoder.
pub struct Bert {
    pub config: Config,
    words: Vec<f32>,
    positions: Vec<f32>,
    /// The first token type's row: every token of a single text has type 0.
    token_type: Vec<f32>,
    embedding_norm: Norm,
    layers: Vec<Layer>,
}

impl Bert {
    /// Takes the weights from a safetensors file (names with or without a `bert.` prefix),
    /// checking every shape against `config`.
    pub fn new(config: Config, tensors: &Tensors<'_>) -> Result<Bert> {
        let prefix = if tensors.contains("embeddings.word_embeddings.weight") { "" } else { "bert." };
        let take = |name: &str, shape: &[usize]| tensors.take(&format!("{prefix}{name}"), shape);
        let (h, i) = (config.hidden, config.intermediate);
        let dense = |name: &str, inputs: usize, outputs: usize| -> Result<Dense> {
            let stored = take(&format!("{name}.weight"), &[outputs, inputs])?;
            Ok(Dense { weight: transpose(&stored, outputs, inputs), bias: take(&format!("{name}.bias"), &[outputs])? })
        };
        let norm = |name: &str| -> Result<Norm> {
            Ok(Norm { weight: take(&format!("{name}.weight"), &[h])?, bias: take(&format!("{name}.bias"), &[h])? })
        };
        let mut layers = Vec::with_capacity(config.layers);
        for layer in 0..config.layers {
            let at = format!("encoder.layer.{layer}.");
            // Each input's row holds its query, key and value columns side by side.
            let mut qkv = Dense { weight: vec![0.0; 3 * h * h], bias: Vec::with_capacity(3 * h) };
            for (part, name) in ["query", "key", "value"].into_iter().enumerate() {
                let one = dense(&format!("{at}attention.self.{name}"), h, h)?;
                for (input, row) in one.weight.chunks_exact(h).enumerate() {
                    qkv.weight[input * 3 * h + part * h..input * 3 * h + (part + 1) * h].copy_from_slice(row);
                }
                qkv.bias.extend(one.bias);
            }
            layers.push(Layer {
                qkv,
                attention_out: dense(&format!("{at}attention.output.dense"), h, h)?,
                attention_norm: norm(&format!("{at}attention.output.LayerNorm"))?,
                intermediate: dense(&format!("{at}intermediate.dense"), h, i)?,
                output: dense(&format!("{at}output.dense"), i, h)?,
                output_norm: norm(&format!("{at}output.LayerNorm"))?,
            });
        }
        let mut token_type = take("embeddings.token_type_embeddings.weight", &[config.type_vocab, h])?;
        token_type.truncate(h);
        Ok(Bert {
            config,
            words: take("embeddings.word_embeddings.weight", &[config.vocab, h])?,
            positions: take("embeddings.position_embeddings.weight", &[config.positions, h])?,
            token_type,
            embedding_norm: norm("embeddings.LayerNorm")?,
            layers,
        })
    }

    /// The mean of the last layer's token vectors of each text (`texts.len() × hidden` values).
    /// Every id must be below the vocabulary size and every text at most `positions` tokens.
    pub fn mean_pooled(&self, texts: &[&[u32]]) -> Vec<f32> {
        let Config { hidden: h, intermediate, layer_norm_eps: eps, .. } = self.config;
        let lengths: Vec<usize> = texts.iter().map(|t| t.len()).collect();
        let n: usize = lengths.iter().sum();
        let mut hidden = Vec::with_capacity(n * h);
        for text in texts {
            for (position, &id) in text.iter().enumerate() {
                let word = &self.words[id as usize * h..(id as usize + 1) * h];
                let place = &self.positions[position * h..(position + 1) * h];
                hidden.extend(word.iter().zip(place).zip(&self.token_type).map(|((w, p), t)| w + p + t));
            }
        }
        layer_norm(&mut hidden, h, &self.embedding_norm.weight, &self.embedding_norm.bias, eps);
        let mut qkv = vec![0.0f32; n * 3 * h];
        let mut context = vec![0.0f32; n * h];
        let mut mixed = vec![0.0f32; n * h];
        let mut inner = vec![0.0f32; n * intermediate];
        for layer in &self.layers {
            linear(&hidden, n, h, &layer.qkv.weight, 3 * h, &mut qkv);
            add_bias(&mut qkv, &layer.qkv.bias);
            self.attention(&qkv, &lengths, &mut context);
            linear(&context, n, h, &layer.attention_out.weight, h, &mut mixed);
            let Norm { weight, bias } = &layer.attention_norm;
            bias_residual_norm(&mut mixed, &layer.attention_out.bias, &hidden, weight, bias, eps);
            std::mem::swap(&mut hidden, &mut mixed);
            linear(&hidden, n, h, &layer.intermediate.weight, intermediate, &mut inner);
            bias_gelu(&mut inner, &layer.intermediate.bias);
            linear(&inner, n, intermediate, &layer.output.weight, h, &mut mixed);
            let Norm { weight, bias } = &layer.output_norm;
            bias_residual_norm(&mut mixed, &layer.output.bias, &hidden, weight, bias, eps);
            std::mem::swap(&mut hidden, &mut mixed);
        }
        let mut pooled = vec![0.0f32; texts.len() * h];
        let mut start = 0;
        for (out, &length) in pooled.chunks_exact_mut(h).zip(&lengths) {
            let mut sum = vec![0.0f64; h];
            for row in hidden[start * h..(start + length) * h].chunks_exact(h) {
                sum.iter_mut().zip(row).for_each(|(s, &x)| *s += f64::from(x));
            }
            out.iter_mut().zip(&sum).for_each(|(o, s)| *o = (s / length as f64) as f32);
            start += length;
        }
        pooled
    }

    /// Scaled dot-product attention within each text, head by head: `qkv` holds each token's
    /// query, key and value (`3 × hidden`), `context` receives the heads' outputs side by side.
    fn attention(&self, qkv: &[f32], lengths: &[usize], context: &mut [f32]) {
        let Config { hidden: h, heads, .. } = self.config;
        let size = h / heads;
        let scale = 1.0 / (size as f32).sqrt();
        let mut parts = Vec::with_capacity(lengths.len());
        let (mut rest, mut start) = (context, 0);
        for &length in lengths {
            let (part, tail) = rest.split_at_mut(length * h);
            parts.push((start, length, part));
            rest = tail;
            start += length;
        }
        parts.into_par_iter().for_each(|(start, length, out)| {
            let rows = &qkv[start * 3 * h..(start + length) * 3 * h];
            let mut scores = vec![0.0f32; length * length];
            let square = View { rows: length, columns: length, row_stride: length, column_stride: 1 };
            // One head's queries, keys or values: `size` columns of the packed rows.
            let head_view = View { rows: length, columns: size, row_stride: 3 * h, column_stride: 1 };
            let keys_transposed = View { rows: size, columns: length, row_stride: 1, column_stride: 3 * h };
            for head in 0..heads {
                let (q, k, v) = (head * size, h + head * size, 2 * h + head * size);
                product(&mut scores, square, &rows[q..], head_view, &rows[k..], keys_transposed);
                for row in scores.chunks_exact_mut(length) {
                    row.iter_mut().for_each(|s| *s *= scale);
                    softmax(row);
                }
                let target = View { rows: length, columns: size, row_stride: h, column_stride: 1 };
                product(&mut out[head * size..], target, &scores, square, &rows[v..], head_view);
            }
        });
    }
}

/// `matrix` (`rows × columns`, row-major) transposed.
fn transpose(matrix: &[f32], rows: usize, columns: usize) -> Vec<f32> {
    let mut out = vec![0.0; matrix.len()];
    for (r, row) in matrix.chunks_exact(columns).enumerate() {
        for (c, &x) in row.iter().enumerate() {
            out[c * rows + r] = x;
        }
    }
    out
}

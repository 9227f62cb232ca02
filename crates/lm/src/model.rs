//! The decoder-only transformers vecspace runs, read from GGUF: `llama` (SmolLM2, Llama 3 with its
//! rope frequency factors), `qwen2`, `qwen3` and `gemma3`. One token at a time with a key–value
//! cache, and a hook after every block so the residual stream can be read or steered.
//!
//! Per block: `h = x + P(Wo·attention(rope(Q), rope(K), V))`, then `x' = h + F(Wdown·(act(Wgate·n(h))
//! ⊙ Wup·n(h)))`, with `n` RMS normalisation times a learned gain. The architectures differ in
//! the parts:
//! - `Q, K, V = Wq·n(x) (+ bias), …`: biases in qwen2; each head's query and key RMS-normalised
//!   (QK-norm) in qwen3 and gemma3.
//! - `P` and `F`: identity, or (gemma3) a further RMS norm of the attention and MLP outputs before
//!   they join the residual stream.
//! - `act`: SiLU, or the tanh approximation of GELU (gemma3).
//! - gemma3 scales the token embedding by √width; five of every six of its layers attend only to
//!   the last `sliding_window` positions and rotate with their own rope base (10 000).
//!
//! Grouped-query attention: each key–value head serves `heads / kv_heads` query heads. Rotary
//! position embedding rotates each head's pairs `(2i, 2i + 1)` (llama: GGUF's converter permuted
//! the weights so this equals Hugging Face's half-split rotation) or `(i, i + head_dim/2)` (qwen and
//! gemma, "NeoX" order) by `position · base^(−2i / head_dim) / factor_i`, where Llama 3's
//! `rope_freqs.weight` supplies the factors and linear rope scaling divides every angle.

use crate::LmError;
use crate::activation::{self, Activation};
use crate::attention;
use crate::gguf::Gguf;
use crate::quant::{Kernel, Q8Input, QMatrix, quantize_for};
use crate::team::Team;

/// Prompt tokens run through the model together: enough to read each weight matrix once for many
/// tokens, few enough that the batch's intermediate vectors stay small.
pub const PROMPT_BATCH: usize = 128;

/// The architectures vecspace runs, by their GGUF name (`general.architecture`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Architecture {
    Llama,
    Qwen2,
    Qwen3,
    Gemma3,
}

impl Architecture {
    pub const ALL: [Architecture; 4] =
        [Architecture::Llama, Architecture::Qwen2, Architecture::Qwen3, Architecture::Gemma3];

    pub fn name(self) -> &'static str {
        match self {
            Architecture::Llama => "llama",
            Architecture::Qwen2 => "qwen2",
            Architecture::Qwen3 => "qwen3",
            Architecture::Gemma3 => "gemma3",
        }
    }

    pub fn from_name(name: &str) -> Option<Architecture> {
        Architecture::ALL.into_iter().find(|a| a.name() == name)
    }

    /// Whether rope rotates `(i, i + half)` pairs rather than adjacent ones.
    fn half_split_rope(self) -> bool {
        self != Architecture::Llama
    }
}

/// How the pairs of a head are chosen for rotary position embedding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RopeLayout {
    /// `(2i, 2i + 1)`: GGUF's llama files.
    Adjacent,
    /// `(i, i + head_dim / 2)`: qwen and gemma files.
    HalfSplit,
}

/// The shape of the network, from the GGUF metadata.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub architecture: Architecture,
    pub layers: usize,
    pub width: usize,
    pub feed_forward: usize,
    pub heads: usize,
    pub kv_heads: usize,
    pub head_dim: usize,
    pub rope_base: f32,
    /// The rope base of sliding-window layers (gemma3's local attention).
    pub rope_base_local: f32,
    /// Linear rope scaling: positions are divided by this (1 when the file asks for none).
    pub rope_scale: f32,
    pub rope_layout: RopeLayout,
    /// The span of sliding-window layers, in positions (the current one included).
    pub sliding_window: Option<usize>,
    pub norm_epsilon: f32,
    pub vocab: usize,
    pub context: usize,
}

impl Config {
    /// Whether `layer` attends only to the last `sliding_window` positions: in gemma3, five of
    /// every six (llama.cpp's pattern for the architecture).
    pub fn is_sliding(&self, layer: usize) -> bool {
        self.sliding_window.is_some() && self.architecture == Architecture::Gemma3 && layer % 6 < 5
    }
}

struct Block {
    attention_norm: Vec<f32>,
    query: QMatrix,
    key: QMatrix,
    value: QMatrix,
    /// qwen2's biases of the query, key and value projections.
    biases: Option<[Vec<f32>; 3]>,
    /// Per-head RMS norm gains of queries and keys (qwen3, gemma3).
    query_norm: Option<Vec<f32>>,
    key_norm: Option<Vec<f32>>,
    output: QMatrix,
    /// gemma3's norm of the attention output before it joins the residual stream.
    post_attention_norm: Option<Vec<f32>>,
    ffn_norm: Vec<f32>,
    gate: QMatrix,
    up: QMatrix,
    down: QMatrix,
    /// gemma3's norm of the MLP output.
    post_ffn_norm: Option<Vec<f32>>,
}

/// How the matrix products are computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Precision {
    /// Inputs quantised to 8 bits per block and integer block products, queries, keys and values
    /// rounded to f16, as llama.cpp computes them.
    #[default]
    Fast,
    /// Dequantised weights times unquantised inputs, summed in f64: the reference.
    Exact,
}

/// A loaded model.
pub struct Model {
    pub config: Config,
    /// The file's `general.name` with its shape, for messages and for the control vectors built
    /// on it: `Gemma 3 270m (gemma3, 18 layers × 640)`.
    pub description: String,
    pub precision: Precision,
    embeddings: QMatrix,
    /// What the token embedding is multiplied by before the first block (gemma3: √width).
    embedding_scale: f32,
    blocks: Vec<Block>,
    output_norm: Vec<f32>,
    /// `None` when the output projection is tied to the embeddings (SmolLM2, Gemma).
    output: Option<QMatrix>,
    /// Llama 3's per-frequency divisors of the rope angles (`rope_freqs.weight`).
    rope_factors: Option<Vec<f32>>,
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

/// RMS-normalises each head of `x` in place with the same gain.
fn head_norm(x: &mut [f32], gain: &[f32], epsilon: f32) {
    for head in x.chunks_exact_mut(gain.len()) {
        let normed = rms_norm(head, gain, epsilon);
        head.copy_from_slice(&normed);
    }
}

fn silu(x: f32) -> f32 {
    x / (1.0 + (-x).exp())
}

/// GELU in its tanh approximation, as Gemma is trained with.
fn gelu_tanh(x: f32) -> f32 {
    const SQRT_2_OVER_PI: f32 = 0.797_884_6;
    0.5 * x * (1.0 + (SQRT_2_OVER_PI * (x + 0.044_715 * x * x * x)).tanh())
}

impl Model {
    /// Reads the model from a GGUF file, checking every tensor's shape.
    pub fn load(file: &Gguf) -> Result<Model, LmError> {
        let name = file.get_str("general.architecture")?;
        let Some(architecture) = Architecture::from_name(name) else {
            return Err(LmError::Unsupported(format!(
                "{}: architecture {name:?}; vecspace runs {}",
                file.path.display(),
                Architecture::ALL.map(Architecture::name).join(", ")
            )));
        };
        let key = |k: &str| format!("{name}.{k}");
        let count = |k: &str| -> Result<usize, LmError> { Ok(file.get_u64(&key(k))? as usize) };
        let optional = |k: &str| -> Result<Option<usize>, LmError> {
            match file.metadata.get(&key(k)) {
                Some(_) => count(k).map(Some),
                None => Ok(None),
            }
        };
        let (width, heads) = (count("embedding_length")?, count("attention.head_count")?);
        let kv_heads = optional("attention.head_count_kv")?.unwrap_or(heads);
        let head_dim = match optional("attention.key_length")? {
            Some(d) => d,
            None => width.checked_div(heads).unwrap_or(0),
        };
        if let Some(value_dim) = optional("attention.value_length")?
            && value_dim != head_dim
        {
            return Err(LmError::Unsupported(format!(
                "{}: values of {value_dim} per head beside keys of {head_dim}",
                file.path.display()
            )));
        }
        let rope_scale = match file.metadata.get(&key("rope.scaling.type")).and_then(|v| v.as_str()) {
            None | Some("none") => 1.0,
            Some("linear") => file.get_f64(&key("rope.scaling.factor")).unwrap_or(1.0) as f32,
            Some(other) => {
                return Err(LmError::Unsupported(format!(
                    "{}: rope scaling {other:?}; vecspace applies none, linear, and Llama 3's frequency factors",
                    file.path.display()
                )));
            }
        };
        let embeddings = file.tensor("token_embd.weight").ok_or_else(|| file.invalid("no token_embd.weight".into()))?;
        let rope_base = file.get_f64(&key("rope.freq_base")).unwrap_or(10_000.0) as f32;
        let config = Config {
            architecture,
            layers: count("block_count")?,
            width,
            feed_forward: count("feed_forward_length")?,
            heads,
            kv_heads,
            head_dim,
            rope_base,
            rope_base_local: if architecture == Architecture::Gemma3 { 10_000.0 } else { rope_base },
            rope_scale,
            rope_layout: if architecture.half_split_rope() { RopeLayout::HalfSplit } else { RopeLayout::Adjacent },
            sliding_window: optional("attention.sliding_window")?,
            norm_epsilon: file.get_f64(&key("attention.layer_norm_rms_epsilon"))? as f32,
            vocab: embeddings.rows_and_columns().0,
            context: count("context_length")?,
        };
        let c = &config;
        if c.heads == 0 || c.kv_heads == 0 || !c.heads.is_multiple_of(c.kv_heads) || !c.head_dim.is_multiple_of(2) {
            return Err(LmError::Unsupported(format!("attention shape {c:?}")));
        }
        if c.layers == 0
            || c.layers > 1000
            || c.width > 1 << 16
            || c.feed_forward > 1 << 18
            || c.head_dim == 0
            || c.head_dim > 1 << 12
            || c.heads > 1 << 10
            || !(c.rope_scale.is_finite() && c.rope_scale > 0.0)
        {
            return Err(LmError::Unsupported(format!("implausible shape {c:?}")));
        }
        let (q_width, kv_width) = (c.heads * c.head_dim, c.kv_heads * c.head_dim);
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
        let vector =
            |name: &str, len: usize| -> Result<Vec<f32>, LmError> { Ok(matrix_1d(file, name, len)?.dequantize_row(0)) };
        let optional_vector = |name: &str, len: usize| -> Result<Option<Vec<f32>>, LmError> {
            file.tensor(name).map(|_| vector(name, len)).transpose()
        };
        let mut blocks = Vec::with_capacity(c.layers);
        for layer in 0..c.layers {
            let name = |part: &str| format!("blk.{layer}.{part}.weight");
            let bias = |part: &str| format!("blk.{layer}.{part}.bias");
            let biases = match architecture {
                Architecture::Qwen2 => Some([
                    vector(&bias("attn_q"), q_width)?,
                    vector(&bias("attn_k"), kv_width)?,
                    vector(&bias("attn_v"), kv_width)?,
                ]),
                _ => None,
            };
            let qk_norm = matches!(architecture, Architecture::Qwen3 | Architecture::Gemma3);
            let gemma = architecture == Architecture::Gemma3;
            blocks.push(Block {
                attention_norm: vector(&name("attn_norm"), c.width)?,
                query: matrix(&name("attn_q"), q_width, c.width)?,
                key: matrix(&name("attn_k"), kv_width, c.width)?,
                value: matrix(&name("attn_v"), kv_width, c.width)?,
                biases,
                query_norm: if qk_norm { Some(vector(&name("attn_q_norm"), c.head_dim)?) } else { None },
                key_norm: if qk_norm { Some(vector(&name("attn_k_norm"), c.head_dim)?) } else { None },
                output: matrix(&name("attn_output"), c.width, q_width)?,
                post_attention_norm: if gemma { Some(vector(&name("post_attention_norm"), c.width)?) } else { None },
                ffn_norm: vector(&name("ffn_norm"), c.width)?,
                gate: matrix(&name("ffn_gate"), c.feed_forward, c.width)?,
                up: matrix(&name("ffn_up"), c.feed_forward, c.width)?,
                down: matrix(&name("ffn_down"), c.width, c.feed_forward)?,
                post_ffn_norm: if gemma { Some(vector(&name("post_ffw_norm"), c.width)?) } else { None },
            });
        }
        let output = match file.tensor("output.weight") {
            Some(_) => Some(matrix("output.weight", c.vocab, c.width)?),
            None => None,
        };
        let rope_factors = optional_vector("rope_freqs.weight", c.head_dim / 2)?;
        if let Some(factors) = &rope_factors
            && !factors.iter().all(|f| f.is_finite() && *f > 0.0)
        {
            return Err(file.invalid("rope_freqs.weight holds a factor that is not a positive number".into()).into());
        }
        let title = file.metadata.get("general.name").and_then(|v| v.as_str()).unwrap_or(name);
        Ok(Model {
            description: format!("{title} ({name}, {} layers × {})", c.layers, c.width),
            embeddings: matrix("token_embd.weight", c.vocab, c.width)?,
            embedding_scale: if architecture == Architecture::Gemma3 { (c.width as f32).sqrt() } else { 1.0 },
            output_norm: vector("output_norm.weight", c.width)?,
            output,
            blocks,
            rope_factors,
            config,
            precision: Precision::Fast,
        })
    }

    pub fn new_cache(&self) -> Cache {
        let layers = self.config.layers;
        Cache { keys: vec![Vec::new(); layers], values: vec![Vec::new(); layers], len: 0 }
    }

    /// The input embedding of a token, as the first block receives it.
    pub fn embedding(&self, token: u32) -> Result<Vec<f32>, LmError> {
        if token as usize >= self.config.vocab {
            return Err(LmError::Token { token, vocab: self.config.vocab });
        }
        let mut row = self.embeddings.dequantize_row(token as usize);
        if self.embedding_scale != 1.0 {
            row.iter_mut().for_each(|v| *v *= self.embedding_scale);
        }
        Ok(row)
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

    /// The logits of several residual-stream vectors, one product of the output matrix with all
    /// of them: each equals [`Model::logits`] of it.
    pub fn logits_of(&self, residuals: &[Vec<f32>]) -> Vec<Vec<f32>> {
        let normed: Vec<Vec<f32>> =
            residuals.iter().map(|r| rms_norm(r, &self.output_norm, self.config.norm_epsilon)).collect();
        let [logits] = self.products([self.unembedding()], &normed);
        logits
    }

    /// `matrix · x` at the model's precision.
    fn product(&self, matrix: &QMatrix, x: &[f32]) -> Vec<f32> {
        let [out] = self.products([matrix], &[x.to_vec()]);
        out.into_iter().next().expect("one input")
    }

    /// Each matrix times every input of a batch; each input is quantised once for all of them.
    fn products<const N: usize>(&self, matrices: [&QMatrix; N], xs: &[Vec<f32>]) -> [Vec<Vec<f32>>; N] {
        let quantized: Option<Vec<Q8Input>> = (self.precision == Precision::Fast).then(|| {
            let kinds = matrices.map(|m| m.kind);
            Team::global().map(xs.len(), &|t| quantize_for(&xs[t], &kinds))
        });
        matrices.map(|matrix| match &quantized {
            Some(xq) => {
                let mut out = vec![Vec::new(); xs.len()];
                matrix.matmul(xs, xq, &mut out);
                out
            }
            None => xs
                .iter()
                .map(|x| {
                    let mut out = vec![0.0; matrix.rows];
                    matrix.matvec_exact(x, &mut out);
                    out
                })
                .collect(),
        })
    }

    /// The rotation angles' sines and cosines at `position`, for the sliding-window layers or the
    /// global ones: computed once per position and shared by every head and layer of that kind.
    fn rope_angles(&self, sliding: bool, position: usize) -> Vec<(f32, f32)> {
        let c = &self.config;
        let base = if sliding { c.rope_base_local } else { c.rope_base };
        // Linear scaling stretches only the global layers' positions (gemma3's local layers keep theirs).
        let scale = if sliding { 1.0 } else { c.rope_scale };
        rope_angles(c.head_dim, position as f64 / f64::from(scale), base, self.rope_factors.as_deref())
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
        self.forward_batch(&[token], cache, hook, want_logits)
    }

    /// Runs `tokens` at the next positions of `cache` together: each weight matrix is read once
    /// for the whole batch (each stretch of weights unpacked once for all the tokens), which is
    /// what makes a prompt fast. The hook is called after each block for every position of the
    /// batch in order; the result is the same as running the tokens one at a time, to the bit.
    /// Returns the last position's next-token logits when `want_logits`.
    pub fn forward_batch(
        &self,
        tokens: &[u32],
        cache: &mut Cache,
        hook: &mut dyn Hook,
        want_logits: bool,
    ) -> Result<Option<Vec<f32>>, LmError> {
        let c = &self.config;
        let start = cache.len;
        if tokens.is_empty() {
            return Err(LmError::Invalid("no tokens to run".into()));
        }
        if start + tokens.len() > c.context {
            return Err(LmError::ContextFull { context: c.context });
        }
        let mut xs = tokens.iter().map(|&token| self.embedding(token)).collect::<Result<Vec<_>, _>>()?;
        let group = c.heads / c.kv_heads;
        let scale = 1.0 / (c.head_dim as f32).sqrt();
        // The reference precision keeps its sums in plain order.
        let kernel = if self.precision == Precision::Fast { Kernel::best() } else { Kernel::Scalar };
        // The work of each token outside the products is shared among the team too: a prompt's
        // attention alone grows with the square of its length.
        let team = Team::global();
        let norm_all = |xs: &[Vec<f32>], gain: &[f32]| -> Vec<Vec<f32>> {
            team.map(xs.len(), &|t| rms_norm(&xs[t], gain, c.norm_epsilon))
        };
        // Rotation angles per position, for the sliding-window layers and the global ones.
        let angles: [Vec<Vec<(f32, f32)>>; 2] =
            [false, true].map(|sliding| (0..tokens.len()).map(|t| self.rope_angles(sliding, start + t)).collect());
        for (layer, block) in self.blocks.iter().enumerate() {
            let normed = norm_all(&xs, &block.attention_norm);
            let [qs, ks, vs] = self.products([&block.query, &block.key, &block.value], &normed);
            let angles = &angles[usize::from(c.is_sliding(layer))];
            let prepared = team.map(tokens.len(), &|t| {
                let (mut q, mut k, mut v) = (qs[t].clone(), ks[t].clone(), vs[t].clone());
                if let Some([qb, kb, vb]) = &block.biases {
                    for (values, bias) in [(&mut q, qb), (&mut k, kb), (&mut v, vb)] {
                        values.iter_mut().zip(bias).for_each(|(a, b)| *a += b);
                    }
                }
                if let Some(gain) = &block.query_norm {
                    head_norm(&mut q, gain, c.norm_epsilon);
                }
                if let Some(gain) = &block.key_norm {
                    head_norm(&mut k, gain, c.norm_epsilon);
                }
                rope(&mut q, c.head_dim, &angles[t], c.rope_layout);
                rope(&mut k, c.head_dim, &angles[t], c.rope_layout);
                if self.precision == Precision::Fast {
                    // llama.cpp keeps keys and values in an f16 cache and multiplies queries with
                    // them in f16. Rounding the same way keeps greedy text identical to its text
                    // where two tokens are nearly tied (SmolLM2's "311 million", measured).
                    [&mut q, &mut k, &mut v].into_iter().flatten().for_each(|x| *x = half::f16::from_f32(*x).to_f32());
                }
                (q, k, v)
            });
            let mut qs = Vec::with_capacity(tokens.len());
            for (q, k, v) in prepared {
                cache.keys[layer].extend_from_slice(&k);
                cache.values[layer].extend_from_slice(&v);
                qs.push(q);
            }
            let (keys, values) = (&cache.keys[layer], &cache.values[layer]);
            let kv_width = c.kv_heads * c.head_dim;
            let attended: Vec<Vec<f32>> = team.map(tokens.len(), &|t| {
                let q = &qs[t];
                let position = start + t;
                let first = match c.sliding_window {
                    Some(window) if c.is_sliding(layer) => (position + 1).saturating_sub(window),
                    _ => 0,
                };
                let mut attended = vec![0.0f32; c.heads * c.head_dim];
                for head in 0..c.heads {
                    let kv = head / group;
                    let qh = &q[head * c.head_dim..(head + 1) * c.head_dim];
                    let mut scores: Vec<f32> = (first..=position)
                        .map(|p| {
                            let kh = &keys[p * kv_width + kv * c.head_dim..][..c.head_dim];
                            attention::dot(qh, kh, kernel) * scale
                        })
                        .collect();
                    softmax(&mut scores);
                    let out = &mut attended[head * c.head_dim..(head + 1) * c.head_dim];
                    for (p, weight) in (first..=position).zip(&scores) {
                        let vh = &values[p * kv_width + kv * c.head_dim..][..c.head_dim];
                        out.iter_mut().zip(vh).for_each(|(o, v)| *o += weight * v);
                    }
                }
                attended
            });
            let [mut projected] = self.products([&block.output], &attended);
            if let Some(gain) = &block.post_attention_norm {
                projected = norm_all(&projected, gain);
            }
            for (x, p) in xs.iter_mut().zip(&projected) {
                x.iter_mut().zip(p).for_each(|(a, b)| *a += b);
            }
            let normed = norm_all(&xs, &block.ffn_norm);
            let [gates, ups] = self.products([&block.gate, &block.up], &normed);
            let hidden: Vec<Vec<f32>> = match self.precision {
                Precision::Fast => {
                    let activation =
                        if c.architecture == Architecture::Gemma3 { Activation::GeluTanh } else { Activation::Silu };
                    team.map(tokens.len(), &|t| activation::gated(activation, &gates[t], &ups[t], kernel))
                }
                Precision::Exact => {
                    let activation = if c.architecture == Architecture::Gemma3 { gelu_tanh } else { silu };
                    team.map(tokens.len(), &|t| gates[t].iter().zip(&ups[t]).map(|(g, u)| activation(*g) * u).collect())
                }
            };
            let [mut down] = self.products([&block.down], &hidden);
            if let Some(gain) = &block.post_ffn_norm {
                down = norm_all(&down, gain);
            }
            for (t, (x, d)) in xs.iter_mut().zip(&down).enumerate() {
                x.iter_mut().zip(d).for_each(|(a, b)| *a += b);
                hook.after_block(layer, start + t, x);
                // Cheap beside the block's products, and the only sign of an overflow: past it
                // every token would be a confident guess from NaN logits.
                if !x.iter().all(|v| v.is_finite()) {
                    return Err(LmError::NonFiniteActivations { layer, position: start + t });
                }
            }
        }
        cache.len += tokens.len();
        Ok(want_logits.then(|| self.logits(xs.last().expect("at least one token"))))
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

/// The sine and cosine of each pair's angle, `position · base^(−2i / head_dim) / factors[i]`.
fn rope_angles(head_dim: usize, position: f64, base: f32, factors: Option<&[f32]>) -> Vec<(f32, f32)> {
    (0..head_dim / 2)
        .map(|i| {
            let factor = factors.map_or(1.0, |f| f64::from(f[i]));
            let theta = position * f64::from(base).powf(-2.0 * i as f64 / head_dim as f64) / factor;
            (theta.sin() as f32, theta.cos() as f32)
        })
        .collect()
}

/// Rotates the pairs of each head of `x` by the angles of [`rope_angles`].
fn rope(x: &mut [f32], head_dim: usize, angles: &[(f32, f32)], layout: RopeLayout) {
    let half = head_dim / 2;
    for head in x.chunks_exact_mut(head_dim) {
        for (i, &(sin, cos)) in angles.iter().enumerate() {
            let (first, second) = match layout {
                RopeLayout::Adjacent => (2 * i, 2 * i + 1),
                RopeLayout::HalfSplit => (i, i + half),
            };
            let (a, b) = (head[first], head[second]);
            head[first] = a * cos - b * sin;
            head[second] = a * sin + b * cos;
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
        rope(&mut x, 4, &rope_angles(4, 0.0, 10_000.0, None), RopeLayout::Adjacent);
        assert_eq!(x, vec![1.0, 0.0, 0.0, 1.0]);
        // Position 1: the first pair turns by 1 radian, the second by 1/100.
        rope(&mut x, 4, &rope_angles(4, 1.0, 10_000.0, None), RopeLayout::Adjacent);
        assert!((x[0] - 1f32.cos()).abs() < 1e-6 && (x[1] - 1f32.sin()).abs() < 1e-6);
        assert!((x[2] + 0.01f32.sin()).abs() < 1e-6 && (x[3] - 0.01f32.cos()).abs() < 1e-6);
        // Half-split pairs are (0, 2) and (1, 3); a factor of 2 halves the second pair's angle.
        let mut y = vec![1.0, 1.0, 0.0, 0.0];
        rope(&mut y, 4, &rope_angles(4, 1.0, 10_000.0, Some(&[1.0, 2.0])), RopeLayout::HalfSplit);
        assert!((y[0] - 1f32.cos()).abs() < 1e-6 && (y[2] - 1f32.sin()).abs() < 1e-6);
        assert!((y[1] - 0.005f32.cos()).abs() < 1e-6 && (y[3] - 0.005f32.sin()).abs() < 1e-6);
        let n: f32 = y.iter().map(|v| v * v).sum();
        assert!((n - 2.0).abs() < 1e-6);
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
        let mut heads = vec![3.0, 4.0, 1.0, 1.0];
        head_norm(&mut heads, &[1.0, 1.0], 0.0);
        assert!((heads[0] - 3.0 / r).abs() < 1e-6 && (heads[2] - 1.0).abs() < 1e-6);
        // GELU's tanh form: gelu(1) = 0.8412, gelu(−1) = −0.1588, and silu(1) = 1 / (1 + e⁻¹).
        assert!((gelu_tanh(1.0) - 0.841_192).abs() < 1e-5 && (gelu_tanh(-1.0) + 0.158_808).abs() < 1e-5);
        assert!((silu(1.0) - 0.731_058_6).abs() < 1e-6);
    }
}

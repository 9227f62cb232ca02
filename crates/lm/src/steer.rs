//! Steering vectors: reading the residual stream, building one vector per layer from contrasting
//! prompts, adding vectors back while the model writes, and storing them in llama.cpp's
//! control-vector format.
//!
//! Layer numbers follow llama.cpp's control vectors, so files move between the tools unchanged:
//! `direction.N` (N ≥ 1) is built from the residual stream read at the output of block N − 1 and
//! is added to the output of block N (blocks counted from 0). Block 0's output is never steered.

use std::collections::BTreeMap;
use std::path::Path;

use crate::LmError;
use crate::gguf::{self, Gguf, Value};
use crate::model::{Hook, Model};
use crate::quant::GgmlType;
use crate::tokenizer::Tokenizer;

/// The residual stream after every block at every position of a prompt: `[block][position]`.
#[derive(Debug, Clone, Default)]
pub struct Activations {
    pub blocks: Vec<Vec<Vec<f32>>>,
    /// Leading positions that belong to a prefix, not to the prompt (left out of [`Self::at`]).
    pub prefix: usize,
}

impl Activations {
    /// Block `block`'s output averaged over the prompt's positions, or at one position; a
    /// position past the prompt's end is an error, not its last token.
    pub fn at(&self, block: usize, position: Position) -> Result<Vec<f32>, LmError> {
        let rows = &self.blocks[block][self.prefix..];
        Ok(match position {
            Position::Last => rows.last().cloned().unwrap_or_default(),
            Position::Token(i) => match rows.get(i) {
                Some(row) => row.clone(),
                None => {
                    return Err(LmError::Invalid(format!(
                        "position {i} is past the prompt's end: it has {} tokens (0 to {})",
                        rows.len(),
                        rows.len().saturating_sub(1)
                    )));
                }
            },
            Position::Mean => {
                let mut mean = vec![0.0f64; rows.first().map_or(0, Vec::len)];
                for row in rows {
                    mean.iter_mut().zip(row).for_each(|(m, v)| *m += f64::from(*v));
                }
                mean.iter().map(|m| (m / rows.len() as f64) as f32).collect()
            }
        })
    }
}

/// Which token's residual stands for a prompt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Position {
    /// The mean over the prompt's tokens (llama.cpp's `mean` method averages per-token
    /// differences, the same thing when both prompts have the same length).
    Mean,
    /// The last token (repeng's choice).
    Last,
    /// The prompt's token at this index (0-based).
    Token(usize),
}

impl std::str::FromStr for Position {
    type Err = String;
    fn from_str(s: &str) -> Result<Position, String> {
        match s {
            "mean" => Ok(Position::Mean),
            "last" => Ok(Position::Last),
            _ => s
                .parse()
                .map(Position::Token)
                .map_err(|_| format!("unknown position {s:?}: use mean, last or a token index")),
        }
    }
}

struct Recorder<'a> {
    activations: &'a mut Activations,
}

impl Hook for Recorder<'_> {
    fn after_block(&mut self, layer: usize, _: usize, residual: &mut [f32]) {
        self.activations.blocks[layer].push(residual.to_vec());
    }
}

/// Runs `prefix` then `tokens`, recording the residual stream after every block.
///
/// The first position of a sequence is an attention sink: its residual stream carries a few
/// enormous values (norms near 11 000 in SmolLM2's middle blocks, against a few hundred
/// elsewhere) whatever the token. A prompt's own meaning is read after a prefix — a document
/// start, see [`Tokenizer::document_start`] — so that a one-word prompt is not all sink.
pub fn activations(model: &Model, prefix: &[u32], tokens: &[u32]) -> Result<Activations, LmError> {
    if tokens.is_empty() {
        return Err(LmError::Invalid("the prompt is empty".into()));
    }
    if prefix.len() + tokens.len() > model.config.context {
        return Err(LmError::ContextFull { context: model.config.context });
    }
    let mut activations = Activations { blocks: vec![Vec::new(); model.config.layers], prefix: prefix.len() };
    let mut cache = model.new_cache();
    let mut recorder = Recorder { activations: &mut activations };
    let all: Vec<u32> = prefix.iter().chain(tokens).copied().collect();
    for batch in all.chunks(crate::model::PROMPT_BATCH) {
        model.forward_batch(batch, &mut cache, &mut recorder, false)?;
    }
    Ok(activations)
}

/// One vector per steerable layer (1 … layers − 1, llama.cpp's numbering).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ControlVector {
    pub layers: BTreeMap<usize, Vec<f32>>,
    /// The model the vector was built on (`Model::description`), kept in the file as
    /// `vecspace.built_on`; files from other tools name only the architecture.
    pub built_on: Option<String>,
}

/// How a control vector is built from contrasting prompts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// The mean of the positive − negative differences (ActAdd with one pair; CAA with many).
    MeanDiff,
    /// The first principal component of the differences (centred), signed so the differences
    /// project positively on average (repeng's `pca_diff`).
    PcaDiff,
}

impl std::str::FromStr for Method {
    type Err = String;
    fn from_str(s: &str) -> Result<Method, String> {
        match s {
            "mean-diff" | "mean" | "caa" | "actadd" => Ok(Method::MeanDiff),
            "pca-diff" | "pca" => Ok(Method::PcaDiff),
            _ => Err(format!("unknown method {s:?}: use mean-diff or pca-diff")),
        }
    }
}

/// Builds a control vector from (positive, negative) prompt pairs.
pub fn build(
    model: &Model,
    tokenizer: &Tokenizer,
    pairs: &[(String, String)],
    method: Method,
    position: Position,
    progress: &dyn vecspace_core::progress::Progress,
) -> Result<ControlVector, LmError> {
    if pairs.is_empty() {
        return Err(LmError::Invalid("no prompt pairs".into()));
    }
    if method == Method::PcaDiff && pairs.len() < 2 {
        return Err(LmError::Invalid("pca-diff needs at least two pairs".into()));
    }
    let layers = model.config.layers;
    // differences[block][pair]
    let mut differences: Vec<Vec<Vec<f32>>> = vec![Vec::with_capacity(pairs.len()); layers];
    progress.start("reading activations", Some(pairs.len() as u64), vecspace_core::progress::Unit::Items);
    for (positive, negative) in pairs {
        let read = |text: &str| -> Result<Activations, LmError> {
            let (prefix, ids) = tokenizer.encode_for_reading(text)?;
            activations(model, &prefix, &ids)
        };
        let (p, n) = (read(positive)?, read(negative)?);
        for (block, out) in differences.iter_mut().enumerate() {
            let (a, b) = (p.at(block, position)?, n.at(block, position)?);
            out.push(a.iter().zip(&b).map(|(x, y)| x - y).collect());
        }
        progress.advance(1);
    }
    progress.finish();
    let mut vector = ControlVector { built_on: Some(model.description.clone()), ..ControlVector::default() };
    // Read at block N − 1, stored (and later added) as layer N.
    for (block, diffs) in differences.iter().enumerate().take(layers - 1) {
        let v = match method {
            Method::MeanDiff => mean(diffs),
            Method::PcaDiff => principal_component(diffs),
        };
        vector.layers.insert(block + 1, v);
    }
    // Identical prompts (or ones the model reads identically) differ nowhere: such a vector would
    // steer nothing, silently.
    if vector.layers.values().all(|v| v.iter().all(|&x| x == 0.0)) {
        return Err(LmError::Invalid(
            "the positive and negative prompts give the same activations (are they identical?); a steering vector needs them to differ".into(),
        ));
    }
    Ok(vector)
}

fn mean(rows: &[Vec<f32>]) -> Vec<f32> {
    let mut sum = vec![0.0f64; rows[0].len()];
    for row in rows {
        sum.iter_mut().zip(row).for_each(|(s, v)| *s += f64::from(*v));
    }
    sum.iter().map(|s| (s / rows.len() as f64) as f32).collect()
}

/// The unit leading eigenvector of the centred rows' covariance, by power iteration, signed so
/// the rows' mean projects positively.
fn principal_component(rows: &[Vec<f32>]) -> Vec<f32> {
    let centre: Vec<f64> = mean(rows).iter().map(|&v| f64::from(v)).collect();
    let centred: Vec<Vec<f64>> =
        rows.iter().map(|r| r.iter().zip(&centre).map(|(v, c)| f64::from(*v) - c).collect()).collect();
    let dims = centre.len();
    // Start from the mean difference (not orthogonal to the answer in practice), or ones.
    let mut v: Vec<f64> = if centre.iter().any(|c| *c != 0.0) { centre.clone() } else { vec![1.0; dims] };
    for _ in 0..200 {
        let mut next = vec![0.0; dims];
        for row in &centred {
            let along: f64 = row.iter().zip(&v).map(|(a, b)| a * b).sum();
            next.iter_mut().zip(row).for_each(|(n, r)| *n += along * r);
        }
        let length = next.iter().map(|x| x * x).sum::<f64>().sqrt();
        if length == 0.0 {
            break;
        }
        let next: Vec<f64> = next.iter().map(|x| x / length).collect();
        let change: f64 = next.iter().zip(&v).map(|(a, b)| (a - b).abs()).sum();
        v = next;
        if change < 1e-10 {
            break;
        }
    }
    let length = v.iter().map(|x| x * x).sum::<f64>().sqrt().max(f64::MIN_POSITIVE);
    let projected: f64 = rows.iter().map(|r| r.iter().zip(&v).map(|(a, b)| f64::from(*a) * b).sum::<f64>()).sum();
    let sign = if projected < 0.0 { -1.0 } else { 1.0 };
    v.iter().map(|x| (sign * x / length) as f32).collect()
}

impl ControlVector {
    /// A control vector from its layers' values, checked as a file's are: layers numbered from 1,
    /// at least one, one width of at least one value, every value finite.
    pub fn from_layers(layers: BTreeMap<usize, Vec<f32>>, built_on: Option<String>) -> Result<ControlVector, LmError> {
        if layers.contains_key(&0) {
            return Err(LmError::Invalid("layer 0 is not a control vector's layer: they are numbered from 1".into()));
        }
        let widths: std::collections::BTreeSet<usize> = layers.values().map(Vec::len).collect();
        if widths.len() > 1 {
            return Err(LmError::Invalid(format!("the directions differ in length: {widths:?}")));
        }
        if layers.is_empty() || widths.contains(&0) {
            return Err(LmError::Invalid("a control vector needs at least one layer of one value or more".into()));
        }
        let vector = ControlVector { layers, built_on };
        vector.check_finite()?;
        Ok(vector)
    }

    /// `Σ coefficient × vector`, layer by layer in single precision; a layer that a vector lacks
    /// counts as zeros there (repeng's `ControlVector` arithmetic, and how [`Steering::new`] sums
    /// the vectors it steers with). The result keeps the first known `built_on`.
    pub fn linear_combination(terms: &[(&ControlVector, f32)]) -> Result<ControlVector, LmError> {
        let widths: std::collections::BTreeSet<usize> = terms.iter().filter_map(|(v, _)| v.width()).collect();
        if widths.len() > 1 {
            return Err(LmError::Invalid(format!("the control vectors differ in width: {widths:?}")));
        }
        let mut result =
            ControlVector { built_on: terms.iter().find_map(|(v, _)| v.built_on.clone()), ..ControlVector::default() };
        for (vector, coefficient) in terms {
            for (&layer, values) in &vector.layers {
                match result.layers.get_mut(&layer) {
                    Some(sum) => sum.iter_mut().zip(values).for_each(|(s, x)| *s += coefficient * x),
                    None => {
                        result.layers.insert(layer, values.iter().map(|x| coefficient * x).collect());
                    }
                }
            }
        }
        result.check_finite()?;
        Ok(result)
    }

    /// Every value divided by `divisor` (a division, not a product with the reciprocal, so that
    /// it equals NumPy's `array / divisor`).
    pub fn divided(&self, divisor: f32) -> Result<ControlVector, LmError> {
        let layers = self.layers.iter().map(|(&n, v)| (n, v.iter().map(|x| x / divisor).collect())).collect();
        let result = ControlVector { layers, built_on: self.built_on.clone() };
        result.check_finite()?;
        Ok(result)
    }

    /// Keeps only the layers in `layers`, which must be steerable layers of `model`.
    pub fn keep_layers(&mut self, layers: std::ops::RangeInclusive<usize>, model: &Model) -> Result<(), LmError> {
        check_layer_range(&layers, model)?;
        self.layers.retain(|layer, _| layers.contains(layer));
        Ok(())
    }

    /// NaN or infinite values (single precision overflows in arithmetic) are refused, as in a file.
    fn check_finite(&self) -> Result<(), LmError> {
        match self.layers.iter().find(|(_, v)| v.iter().any(|x| !x.is_finite())) {
            Some((layer, _)) => Err(LmError::Invalid(format!(
                "layer {layer} of the control vector holds NaN or infinite values (single precision overflows)"
            ))),
            None => Ok(()),
        }
    }

    pub fn width(&self) -> Option<usize> {
        self.layers.values().next().map(Vec::len)
    }

    /// Each layer's vector scaled to unit length (llama.cpp's generator stores unit vectors).
    pub fn normalized(&self) -> ControlVector {
        let layers = self
            .layers
            .iter()
            .map(|(&n, v)| {
                let length = v.iter().map(|x| f64::from(*x).powi(2)).sum::<f64>().sqrt();
                let scale = if length > 0.0 { 1.0 / length } else { 0.0 };
                (n, v.iter().map(|x| (f64::from(*x) * scale) as f32).collect())
            })
            .collect();
        ControlVector { layers, built_on: self.built_on.clone() }
    }

    /// Checks the vector against a model: its width, and layers 1 … layers − 1. (llama.cpp runs
    /// unsteered when they do not fit; here it is an error naming both models.)
    pub fn check(&self, model: &Model) -> Result<(), LmError> {
        let width = model.config.width;
        let origin = match &self.built_on {
            Some(built_on) => format!(" (the vector was built on {built_on}; this model is {})", model.description),
            None => String::new(),
        };
        for (&layer, v) in &self.layers {
            if v.len() != width {
                return Err(LmError::Invalid(format!(
                    "layer {layer} of the control vector has {} values; this model's width is {width}{origin}",
                    v.len()
                )));
            }
            if layer == 0 || layer >= model.config.layers {
                return Err(LmError::Invalid(format!(
                    "the control vector has layer {layer}; this model steers layers 1 to {}{origin}",
                    model.config.layers - 1
                )));
            }
        }
        Ok(())
    }

    /// Writes llama.cpp's control-vector GGUF: `general.architecture = controlvector`,
    /// `controlvector.model_hint`, `controlvector.layer_count`, and F32 tensors `direction.N`.
    pub fn write(&self, path: &Path, model_hint: &str) -> Result<(), LmError> {
        let mut metadata = vec![
            ("general.architecture", Value::String("controlvector".into())),
            ("controlvector.model_hint", Value::String(model_hint.into())),
            ("controlvector.layer_count", Value::I32(self.layers.len() as i32)),
        ];
        if let Some(built_on) = &self.built_on {
            metadata.push(("vecspace.built_on", Value::String(built_on.clone())));
        }
        let tensors: Vec<(String, Vec<f32>)> =
            self.layers.iter().map(|(n, v)| (format!("direction.{n}"), v.clone())).collect();
        gguf::write_f32(path, &metadata, &tensors)?;
        Ok(())
    }

    /// Reads a control vector, strictly: llama.cpp ignores a wrong file and generates unsteered;
    /// here every problem is an error.
    pub fn read(path: &Path) -> Result<ControlVector, LmError> {
        let file = Gguf::open(path)?;
        let architecture = file.get_str("general.architecture").unwrap_or("");
        if architecture != "controlvector" {
            return Err(file
                .invalid(format!(
                    "general.architecture is {architecture:?}, not \"controlvector\": not a control vector"
                ))
                .into());
        }
        let mut vector = ControlVector {
            built_on: file.metadata.get("vecspace.built_on").and_then(|v| v.as_str()).map(str::to_owned),
            ..ControlVector::default()
        };
        for tensor in &file.tensors {
            let layer = tensor.name.strip_prefix("direction.").and_then(|n| n.parse::<usize>().ok());
            let Some(layer) = layer.filter(|&n| n >= 1) else {
                return Err(file.invalid(format!("tensor {:?} is not direction.N with N ≥ 1", tensor.name)).into());
            };
            if tensor.kind != GgmlType::F32 {
                return Err(file
                    .invalid(format!("{} is {:?}; control vectors are F32", tensor.name, tensor.kind))
                    .into());
            }
            // One dimension, trailing size-1 dimensions allowed (as llama.cpp does).
            if tensor.dims.iter().skip(1).any(|&d| d != 1) {
                return Err(file
                    .invalid(format!("{} has shape {:?}; expected one dimension", tensor.name, tensor.dims))
                    .into());
            }
            let values: Vec<f32> =
                file.bytes(tensor).chunks_exact(4).map(|b| f32::from_le_bytes(b.try_into().expect("4"))).collect();
            if values.iter().any(|v| !v.is_finite()) {
                return Err(file.invalid(format!("{} holds NaN or infinite values", tensor.name)).into());
            }
            if vector.layers.insert(layer, values).is_some() {
                return Err(file.invalid(format!("{} appears twice", tensor.name)).into());
            }
        }
        let widths: std::collections::BTreeSet<usize> = vector.layers.values().map(Vec::len).collect();
        if widths.len() > 1 {
            return Err(file.invalid(format!("the directions differ in length: {widths:?}")).into());
        }
        if vector.layers.is_empty() {
            return Err(file.invalid("the file holds no direction.N tensors".into()).into());
        }
        Ok(vector)
    }
}

/// Checks that `layers` (inclusive, llama.cpp's numbering) are steerable layers of `model`:
/// 1 … layers − 1.
pub fn check_layer_range(layers: &std::ops::RangeInclusive<usize>, model: &Model) -> Result<(), LmError> {
    let last = model.config.layers - 1;
    if *layers.start() < 1 || *layers.end() > last || layers.start() > layers.end() {
        return Err(LmError::Invalid(format!(
            "layers {}..{} are out of range: this model steers layers 1 to {last}",
            layers.start(),
            layers.end()
        )));
    }
    Ok(())
}

/// Adds scaled control vectors to the residual stream while the model runs.
pub struct Steering {
    /// The summed vector of each steered block: `coefficient × direction.N` over all vectors.
    added: BTreeMap<usize, Vec<f32>>,
    /// Positions before this are left alone (0: every position, as llama.cpp does).
    pub from_position: usize,
}

impl Steering {
    /// Sums `coefficient × vector` over `vectors`, keeping layers inside `layers` (inclusive).
    pub fn new(
        vectors: &[(ControlVector, f32)],
        layers: std::ops::RangeInclusive<usize>,
        model: &Model,
    ) -> Result<Steering, LmError> {
        check_layer_range(&layers, model)?;
        let mut added: BTreeMap<usize, Vec<f32>> = BTreeMap::new();
        for (vector, coefficient) in vectors {
            vector.check(model)?;
            for (&layer, v) in vector.layers.range(layers.clone()) {
                let sum = added.entry(layer).or_insert_with(|| vec![0.0; v.len()]);
                sum.iter_mut().zip(v).for_each(|(s, x)| *s += coefficient * x);
            }
        }
        if let Some((layer, _)) = added.iter().find(|(_, sum)| sum.iter().any(|x| !x.is_finite())) {
            return Err(LmError::Invalid(format!(
                "the steering coefficients overflow single precision at layer {layer}; use smaller ones"
            )));
        }
        if added.is_empty() {
            return Err(LmError::Invalid(format!(
                "the control vectors have no layer in {}..{}; nothing would be steered",
                layers.start(),
                layers.end()
            )));
        }
        Ok(Steering { added, from_position: 0 })
    }
}

impl Hook for Steering {
    fn after_block(&mut self, layer: usize, position: usize, residual: &mut [f32]) {
        if position < self.from_position {
            return;
        }
        if let Some(v) = self.added.get(&layer) {
            residual.iter_mut().zip(v).for_each(|(r, x)| *r += x);
        }
    }
}

/// Mean negative log-likelihood per token of `tokens` (after the first) under the model with
/// `hook` applied: the log of the perplexity.
/// The text is read in batches ([`crate::model::PROMPT_BATCH`]) and each batch's next-token logits
/// come from one product of the output matrix with all its positions; the result equals reading
/// it a token at a time.
pub fn mean_nll(model: &Model, tokens: &[u32], hook: &mut dyn Hook) -> Result<f64, LmError> {
    if tokens.len() < 2 {
        return Err(LmError::Invalid("perplexity needs at least two tokens".into()));
    }
    /// Passes every call on, and keeps the last block's output (after `inner` has changed it).
    struct LastBlock<'a> {
        inner: &'a mut dyn Hook,
        last: usize,
        residuals: Vec<Vec<f32>>,
    }
    impl Hook for LastBlock<'_> {
        fn after_block(&mut self, layer: usize, position: usize, residual: &mut [f32]) {
            self.inner.after_block(layer, position, residual);
            if layer == self.last {
                self.residuals.push(residual.to_vec());
            }
        }
    }
    let mut cache = model.new_cache();
    let mut last_block = LastBlock { inner: hook, last: model.config.layers - 1, residuals: Vec::new() };
    let mut total = 0.0;
    let inputs = &tokens[..tokens.len() - 1];
    for (b, batch) in inputs.chunks(crate::model::PROMPT_BATCH).enumerate() {
        last_block.residuals.clear();
        model.forward_batch(batch, &mut cache, &mut last_block, false)?;
        // A few positions at a time: a large vocabulary's logits take a megabyte a position.
        for (c, residuals) in last_block.residuals.chunks(LOGIT_POSITIONS).enumerate() {
            for (k, logits) in model.logits_of(residuals).iter().enumerate() {
                let next = tokens[b * crate::model::PROMPT_BATCH + c * LOGIT_POSITIONS + k + 1];
                let max = logits.iter().fold(f32::NEG_INFINITY, |m, v| m.max(*v));
                let log_sum = logits.iter().map(|v| f64::from(v - max).exp()).sum::<f64>().ln() + f64::from(max);
                total += log_sum - f64::from(logits[next as usize]);
            }
        }
    }
    Ok(total / inputs.len() as f64)
}

/// Positions whose logits [`mean_nll`] holds at once.
const LOGIT_POSITIONS: usize = 16;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_vectors_round_trip_and_wrong_files_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v.gguf");
        let mut vector = ControlVector { built_on: Some("a model".into()), ..ControlVector::default() };
        vector.layers.insert(1, vec![1.0, 2.0, 2.0]);
        vector.layers.insert(3, vec![0.0, -1.0, 0.5]);
        vector.write(&path, "llama").unwrap();
        let back = ControlVector::read(&path).unwrap();
        assert_eq!(back, vector);
        let file = Gguf::open(&path).unwrap();
        assert_eq!(file.get_u64("controlvector.layer_count").unwrap(), 2);
        assert_eq!(file.get_str("controlvector.model_hint").unwrap(), "llama");
        assert_eq!(vector.normalized().layers[&1], vec![1.0 / 3.0, 2.0 / 3.0, 2.0 / 3.0]);
        // Not a control vector, a bad tensor name, and ragged widths.
        gguf::write_f32(&path, &[("general.architecture", Value::String("llama".into()))], &[]).unwrap();
        assert!(ControlVector::read(&path).unwrap_err().to_string().contains("not a control vector"));
        let arch = [("general.architecture", Value::String("controlvector".into()))];
        gguf::write_f32(&path, &arch, &[("direction.0".into(), vec![1.0])]).unwrap();
        assert!(ControlVector::read(&path).unwrap_err().to_string().contains("N ≥ 1"));
        gguf::write_f32(&path, &arch, &[("direction.1".into(), vec![1.0]), ("direction.2".into(), vec![1.0, 2.0])])
            .unwrap();
        assert!(ControlVector::read(&path).unwrap_err().to_string().contains("differ in length"));
    }

    #[test]
    fn arithmetic_works_layer_by_layer_with_missing_layers_as_zeros() {
        let a = ControlVector::from_layers(
            BTreeMap::from([(1, vec![1.0, 2.0]), (2, vec![3.0, 4.0])]),
            Some("model a".into()),
        )
        .unwrap();
        let b = ControlVector::from_layers(BTreeMap::from([(2, vec![0.5, -1.0]), (5, vec![2.0, 2.0])]), None).unwrap();
        let sum = ControlVector::linear_combination(&[(&a, 2.0), (&b, -1.0)]).unwrap();
        assert_eq!(sum.layers[&1], vec![2.0, 4.0]);
        assert_eq!(sum.layers[&2], vec![5.5, 9.0]);
        assert_eq!(sum.layers[&5], vec![-2.0, -2.0]);
        assert_eq!(sum.built_on.as_deref(), Some("model a"));
        assert_eq!(a.divided(4.0).unwrap().layers[&2], vec![0.75, 1.0]);
        assert!(a.divided(0.0).unwrap_err().to_string().contains("NaN or infinite"));
        let wide = ControlVector::from_layers(BTreeMap::from([(1, vec![1.0, 2.0, 3.0])]), None).unwrap();
        assert!(ControlVector::linear_combination(&[(&a, 1.0), (&wide, 1.0)]).is_err());
        let huge = ControlVector::from_layers(BTreeMap::from([(1, vec![f32::MAX])]), None).unwrap();
        assert!(ControlVector::linear_combination(&[(&huge, 2.0)]).is_err());
    }

    #[test]
    fn values_are_checked_as_a_file_is() {
        let make = |layers: Vec<(usize, Vec<f32>)>| ControlVector::from_layers(layers.into_iter().collect(), None);
        assert!(make(vec![(0, vec![1.0])]).unwrap_err().to_string().contains("numbered from 1"));
        assert!(make(vec![(1, vec![1.0]), (2, vec![1.0, 2.0])]).unwrap_err().to_string().contains("differ in length"));
        assert!(make(vec![]).is_err() && make(vec![(1, vec![])]).is_err());
        assert!(make(vec![(1, vec![f32::NAN])]).is_err());
        assert_eq!(make(vec![(3, vec![1.0])]).unwrap().layers.len(), 1);
    }

    #[test]
    fn positions_pick_the_prompt_tokens_after_the_prefix() {
        let activations = Activations { blocks: vec![vec![vec![100.0], vec![1.0], vec![3.0]]], prefix: 1 };
        assert_eq!(activations.at(0, "mean".parse().unwrap()).unwrap(), vec![2.0]);
        assert_eq!(activations.at(0, "last".parse().unwrap()).unwrap(), vec![3.0]);
        assert_eq!(activations.at(0, "0".parse().unwrap()).unwrap(), vec![1.0]);
        let err = activations.at(0, Position::Token(9)).unwrap_err().to_string();
        assert!(err.contains("position 9 is past the prompt's end: it has 2 tokens"), "{err}");
        assert!("middle".parse::<Position>().is_err());
    }

    #[test]
    fn the_principal_component_follows_the_spread_and_points_with_the_mean() {
        // Differences spread along (1, 1) around a mean of (0.5, 0.4).
        let rows: Vec<Vec<f32>> =
            (-3..=3).map(|i| vec![0.5 + i as f32, 0.4 + i as f32 + if i % 2 == 0 { 0.05 } else { -0.05 }]).collect();
        let v = principal_component(&rows);
        assert!((v[0] - v[1]).abs() < 0.05 && v[0] > 0.6, "{v:?}");
        let flipped: Vec<Vec<f32>> = rows.iter().map(|r| r.iter().map(|x| -x).collect()).collect();
        let w = principal_component(&flipped);
        assert!(w[0] < -0.6, "{w:?}");
    }
}

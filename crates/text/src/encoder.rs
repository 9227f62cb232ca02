//! A sentence-transformers model: tokenizer, BERT, mean pooling, normalisation.

use std::path::{Path, PathBuf};

use tokenizers::{PaddingParams, Tokenizer, TruncationParams};
use vecspace_core::progress::{Progress, Unit};

use crate::bert::{Bert, Config};
use crate::safetensors::Tensors;
use crate::{Error, Result};

/// Tokens a batch holds at most: enough rows for the matrix products to run at full speed, few
/// enough that the widest activations (tokens × 1536 for MiniLM) stay tens of megabytes.
const BATCH_TOKENS: usize = 8192;

/// What an encoder is: for `info`, notes and provenance.
#[derive(Debug, Clone, PartialEq)]
pub struct EncoderInfo {
    pub dims: usize,
    pub layers: usize,
    pub vocab: usize,
    /// Texts are cut to this many tokens, `[CLS]` and `[SEP]` included.
    pub max_tokens: usize,
    /// Whether vectors are scaled to unit length (a `Normalize` module).
    pub normalized: bool,
}

/// A sentence encoder loaded from a sentence-transformers model directory.
pub struct SentenceEncoder {
    /// What notes and provenance call it: the model directory's name unless set.
    name: String,
    tokenizer: Tokenizer,
    bert: Bert,
    info: EncoderInfo,
}

impl std::fmt::Debug for SentenceEncoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SentenceEncoder").field("name", &self.name).field("info", &self.info).finish()
    }
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|source| Error::Io { path: path.to_owned(), source })
}

fn json(path: &Path) -> Result<serde_json::Value> {
    serde_json::from_slice(&read(path)?)
        .map_err(|e| Error::Model { path: path.to_owned(), message: format!("not valid JSON: {e}") })
}

impl SentenceEncoder {
    /// Loads the model in `dir`: `config.json`, `model.safetensors`, `tokenizer.json`,
    /// `sentence_bert_config.json` (the token limit), `1_Pooling/config.json` (mean pooling is
    /// the one supported) and `modules.json` (whether a `Normalize` module follows).
    pub fn load(dir: &Path) -> Result<SentenceEncoder> {
        let file = |name: &str| -> PathBuf { dir.join(name) };
        let config = Config::parse(&file("config.json"), &json(&file("config.json"))?)?;

        let pooling_path = file("1_Pooling/config.json");
        let pooling = json(&pooling_path)?;
        let modes: Vec<&str> = ["cls_token", "mean_tokens", "max_tokens", "mean_sqrt_len_tokens"]
            .into_iter()
            .filter(|mode| pooling[format!("pooling_mode_{mode}")].as_bool() == Some(true))
            .collect();
        if modes != ["mean_tokens"] {
            return Err(Error::Model {
                path: pooling_path,
                message: format!("pooling {modes:?}; this encoder pools by the mean of the tokens only"),
            });
        }
        let modules = json(&file("modules.json"))?;
        let normalized =
            modules.as_array().is_some_and(|m| m.iter().any(|m| m["type"] == "sentence_transformers.models.Normalize"));

        let limit_path = file("sentence_bert_config.json");
        let max_tokens = match json(&limit_path)?["max_seq_length"].as_u64() {
            Some(limit) if (3..=config.positions as u64).contains(&limit) => limit as usize,
            other => {
                return Err(Error::Model {
                    path: limit_path,
                    message: format!(
                        "max_seq_length is {other:?}; expected 3 to the model's {} positions",
                        config.positions
                    ),
                });
            }
        };

        let tokenizer_path = file("tokenizer.json");
        let mut tokenizer = Tokenizer::from_bytes(read(&tokenizer_path)?)
            .map_err(|e| Error::Model { path: tokenizer_path.clone(), message: e.to_string() })?;
        // sentence-transformers cuts at max_seq_length and pads each batch itself; the file's own
        // settings (128, fixed padding) are for other uses.
        tokenizer
            .with_truncation(Some(TruncationParams { max_length: max_tokens, ..TruncationParams::default() }))
            .map_err(|e| Error::Model { path: tokenizer_path.clone(), message: e.to_string() })?;
        tokenizer.with_padding(None::<PaddingParams>);
        let tokenizer_vocab = tokenizer.get_vocab_size(true);
        if tokenizer_vocab > config.vocab {
            return Err(Error::Model {
                path: tokenizer_path,
                message: format!("the tokenizer has {tokenizer_vocab} tokens; the model embeds {}", config.vocab),
            });
        }

        let weights_path = file("model.safetensors");
        let bytes = read(&weights_path)?;
        let bert = Bert::new(config, &Tensors::parse(&weights_path, &bytes)?)?;
        let info =
            EncoderInfo { dims: config.hidden, layers: config.layers, vocab: config.vocab, max_tokens, normalized };
        let name = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "encoder".into());
        Ok(SentenceEncoder { name, tokenizer, bert, info })
    }

    /// The same encoder under another name (a registered one, such as `minilm-l6`).
    pub fn with_name(mut self, name: impl Into<String>) -> SentenceEncoder {
        self.name = name.into();
        self
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn info(&self) -> &EncoderInfo {
        &self.info
    }

    pub fn dims(&self) -> usize {
        self.info.dims
    }

    /// The token ids of `text` as the model sees it: `[CLS]`, the WordPiece tokens (cut to fit
    /// the token limit) and `[SEP]`. An empty text, or one with no token (only characters the
    /// tokenizer drops), is an error.
    pub fn tokenize(&self, text: &str) -> Result<Vec<u32>> {
        if text.trim().is_empty() {
            return Err(Error::EmptyText);
        }
        let encoding = self
            .tokenizer
            .encode(text, true)
            .map_err(|e| Error::Tokenizer { text: text.to_owned(), message: e.to_string() })?;
        let ids = encoding.get_ids().to_vec();
        let specials = encoding.get_special_tokens_mask().iter().filter(|&&s| s == 1).count();
        if ids.len() <= specials {
            return Err(Error::NoTokens { text: text.to_owned() });
        }
        if let Some(&id) = ids.iter().find(|&&id| id as usize >= self.info.vocab) {
            return Err(Error::Tokenizer {
                text: text.to_owned(),
                message: format!("token id {id} is past the model's embeddings"),
            });
        }
        Ok(ids)
    }

    /// The embedding of one text.
    pub fn encode(&self, text: &str) -> Result<Vec<f32>> {
        Ok(self.encode_all(&[text], &vecspace_core::progress::Silent)?.remove(0))
    }

    /// The embeddings of `texts`, in order, `dims` values each, in batches of about
    /// [`BATCH_TOKENS`] tokens, with progress in texts.
    pub fn encode_all(&self, texts: &[&str], progress: &dyn Progress) -> Result<Vec<Vec<f32>>> {
        let ids: Vec<Vec<u32>> = texts.iter().map(|text| self.tokenize(text)).collect::<Result<_>>()?;
        let mut vectors = Vec::with_capacity(texts.len());
        progress.start("embedding texts", Some(texts.len() as u64), Unit::Items);
        let mut start = 0;
        while start < ids.len() {
            let mut end = start + 1;
            let mut tokens = ids[start].len();
            while end < ids.len() && tokens + ids[end].len() <= BATCH_TOKENS {
                tokens += ids[end].len();
                end += 1;
            }
            let batch: Vec<&[u32]> = ids[start..end].iter().map(Vec::as_slice).collect();
            let pooled = self.bert.mean_pooled(&batch);
            for (i, vector) in (start..end).zip(pooled.chunks_exact(self.info.dims)) {
                if vector.iter().any(|x| !x.is_finite()) {
                    return Err(Error::NonFinite { text: texts[i].to_owned() });
                }
                vectors.push(if self.info.normalized { unit(vector) } else { vector.to_vec() });
            }
            progress.advance((end - start) as u64);
            start = end;
        }
        progress.finish();
        Ok(vectors)
    }
}

/// `vector` scaled to unit length in double precision (sentence-transformers divides by the norm,
/// clamped away from zero).
fn unit(vector: &[f32]) -> Vec<f32> {
    let norm = vector.iter().map(|&x| f64::from(x) * f64::from(x)).sum::<f64>().sqrt().max(1e-12);
    vector.iter().map(|&x| (f64::from(x) / norm) as f32).collect()
}

impl vecspace_core::encoder::TextEncoder for SentenceEncoder {
    fn name(&self) -> &str {
        &self.name
    }

    fn dims(&self) -> usize {
        self.info.dims
    }

    fn encode(&self, text: &str) -> std::result::Result<Vec<f32>, String> {
        SentenceEncoder::encode(self, text).map_err(|e| e.to_string())
    }
}

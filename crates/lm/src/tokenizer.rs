//! The model's tokenizer, built from the GGUF metadata. Two kinds:
//! - byte-level BPE (`tokenizer.ggml.model = "gpt2"`: GPT-2's byte-to-character mapping, the
//!   merges in rank order) after the pre-tokenizer the file names (`tokenizer.ggml.pre`):
//!   SmolLM's (every digit on its own, then GPT-2's split into contractions, letter runs, number
//!   runs, punctuation runs and whitespace), Llama 3's (numbers in runs of up to three, a piece
//!   that is itself a token taken whole) or Qwen 2's (digits one by one) — encoded by the
//!   `tokenizers` crate;
//! - SentencePiece BPE (`"llama"`: Gemma, Llama 2), merged by piece score with byte fallback, in
//!   [`crate::sentencepiece`].
//!
//! Decoding maps tokens back to bytes here, so text can be streamed a token at a time without
//! splitting a UTF-8 character.

use std::collections::HashMap;

use tokenizers::models::bpe::{BPE, Vocab};
use tokenizers::pre_tokenizers::byte_level::ByteLevel;
use tokenizers::pre_tokenizers::digits::Digits;
use tokenizers::pre_tokenizers::sequence::Sequence;
use tokenizers::pre_tokenizers::split::{Split, SplitPattern};
use tokenizers::{AddedToken, PreTokenizerWrapper, SplitDelimiterBehavior};

use crate::LmError;
use crate::gguf::Gguf;
use crate::sentencepiece::{self, SentencePiece};

/// The byte-level pre-tokenizers vecspace implements, by the names GGUF files give them.
pub const PRE_TOKENIZERS: [&str; 3] = ["smollm (and starcoder, refact, codeshell)", "llama-bpe (Llama 3)", "qwen2"];

/// Llama 3's split, from its tokenizer.json: contractions, letter runs with one leading
/// non-letter, numbers in runs of up to three digits, punctuation runs, newlines, whitespace.
const LLAMA3_SPLIT: &str = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

/// Qwen 2's: Llama 3's with every digit on its own.
const QWEN2_SPLIT: &str =
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

/// The pre-tokenizer a byte-level vocabulary names, and whether a piece that is itself a token
/// skips the merges (Llama 3's `ignore_merges`); `None` for one vecspace does not implement.
fn byte_level_pre_tokenizer(name: &str) -> Result<Option<(PreTokenizerWrapper, bool)>, LmError> {
    let split = |pattern: &str| -> Result<PreTokenizerWrapper, LmError> {
        let split = Split::new(SplitPattern::Regex(pattern.to_owned()), SplitDelimiterBehavior::Isolated, false)
            .map_err(|e| LmError::Tokenizer(e.to_string()))?;
        Ok(PreTokenizerWrapper::Sequence(Sequence::new(vec![
            PreTokenizerWrapper::Split(split),
            PreTokenizerWrapper::ByteLevel(ByteLevel::new(false, true, false)),
        ])))
    };
    Ok(match name {
        "smollm" | "starcoder" | "refact" | "codeshell" => Some((
            PreTokenizerWrapper::Sequence(Sequence::new(vec![
                PreTokenizerWrapper::Digits(Digits::new(true)),
                PreTokenizerWrapper::ByteLevel(ByteLevel::new(false, true, true)),
            ])),
            false,
        )),
        // The names llama.cpp gives Llama 3's pre-tokenizer.
        "llama-bpe" | "llama3" | "llama-v3" => Some((split(LLAMA3_SPLIT)?, true)),
        "qwen2" | "deepseek-r1-qwen" => Some((split(QWEN2_SPLIT)?, false)),
        _ => None,
    })
}

/// Token types in `tokenizer.ggml.token_type` (llama.cpp's enum).
const CONTROL: u64 = 3;
const BYTE: u64 = 6;

/// The encoding half of a tokenizer.
enum Encoder {
    ByteLevel(Box<tokenizers::Tokenizer>),
    SentencePiece(Box<SentencePiece>),
}

pub struct Tokenizer {
    encoder: Encoder,
    /// Whether pieces show `▁` for a space (SentencePiece) rather than GPT-2's `Ġ`.
    sentencepiece: bool,
    /// Each token's bytes (control tokens: their text).
    bytes: Vec<Vec<u8>>,
    control: Vec<bool>,
    pub eos: u32,
    pub bos: Option<u32>,
    /// Whether the file asks for a BOS token before the text.
    pub add_bos: bool,
}

/// GPT-2's reversible map from bytes to printable characters: printable Latin-1 bytes stand for
/// themselves, the rest are shifted to U+0100 and up.
pub fn byte_to_char() -> [char; 256] {
    let mut table = ['\0'; 256];
    let mut shifted = 0u32;
    for byte in 0..=255u8 {
        let printable = matches!(byte, b'!'..=b'~' | 0xA1..=0xAC | 0xAE..=0xFF);
        table[byte as usize] = if printable {
            char::from(byte)
        } else {
            shifted += 1;
            char::from_u32(255 + shifted).expect("a valid character")
        };
    }
    table
}

impl Tokenizer {
    pub fn from_gguf(file: &Gguf) -> Result<Tokenizer, LmError> {
        match file.get_str("tokenizer.ggml.model")? {
            "gpt2" => Tokenizer::byte_level(file),
            "llama" => Tokenizer::sentencepiece(file),
            model => Err(LmError::Unsupported(format!(
                "{}: tokenizer model {model:?}; vecspace reads \"gpt2\" (byte-level BPE) and \"llama\" (SentencePiece)",
                file.path.display()
            ))),
        }
    }

    fn strings(file: &Gguf, key: &str) -> Result<Vec<String>, LmError> {
        let values = file.get(key)?.as_array().and_then(|a| a.as_strings());
        let values = values.ok_or_else(|| file.invalid(format!("{key} is not a list of strings")))?;
        Ok(values.iter().map(str::to_owned).collect())
    }

    fn token_types(file: &Gguf, count: usize) -> Result<Vec<u64>, LmError> {
        let types: Vec<u64> = match file.metadata.get("tokenizer.ggml.token_type").and_then(|v| v.as_array()) {
            Some(values) => values.to_u64s().ok_or_else(|| file.invalid("token types are not integers".into()))?,
            None => vec![1; count],
        };
        if types.len() != count {
            return Err(file.invalid("token types and tokens differ in number".into()).into());
        }
        Ok(types)
    }

    fn special_ids(file: &Gguf) -> (Option<u32>, Option<u32>, bool) {
        let id = |key: &str| file.metadata.get(key).and_then(|v| v.as_u64()).map(|v| v as u32);
        let add_bos = matches!(file.metadata.get("tokenizer.ggml.add_bos_token"), Some(crate::gguf::Value::Bool(true)));
        (id("tokenizer.ggml.eos_token_id"), id("tokenizer.ggml.bos_token_id"), add_bos)
    }

    fn sentencepiece(file: &Gguf) -> Result<Tokenizer, LmError> {
        let tokens = Tokenizer::strings(file, "tokenizer.ggml.tokens")?;
        let types = Tokenizer::token_types(file, tokens.len())?;
        let scores: Vec<f32> = match file.metadata.get("tokenizer.ggml.scores").and_then(|v| v.as_array()) {
            Some(values) => values.to_f32s().ok_or_else(|| file.invalid("token scores are not numbers".into()))?,
            None => return Err(file.invalid("a SentencePiece vocabulary needs tokenizer.ggml.scores".into()).into()),
        };
        if scores.len() != tokens.len() {
            return Err(file.invalid("token scores and tokens differ in number".into()).into());
        }
        let (eos, bos, add_bos) = Tokenizer::special_ids(file);
        let eos = eos.ok_or_else(|| file.invalid("no EOS token".into()))?;
        let unknown = file.metadata.get("tokenizer.ggml.unknown_token_id").and_then(|v| v.as_u64()).unwrap_or(0) as u32;
        // llama.cpp's default for SentencePiece vocabularies is to add the prefix space.
        let add_space_prefix =
            !matches!(file.metadata.get("tokenizer.ggml.add_space_prefix"), Some(crate::gguf::Value::Bool(false)));
        let control: Vec<bool> = types.iter().map(|&t| t == CONTROL).collect();
        let bytes = tokens
            .iter()
            .zip(&types)
            .map(|(t, &kind)| match (kind, sentencepiece::byte_piece(t)) {
                (BYTE, Some(b)) => vec![b],
                (CONTROL, _) => t.as_bytes().to_vec(),
                _ => t.replace(sentencepiece::SPACE, " ").into_bytes(),
            })
            .collect();
        let encoder =
            Encoder::SentencePiece(Box::new(SentencePiece::new(&tokens, scores, &types, unknown, add_space_prefix)));
        Ok(Tokenizer { encoder, sentencepiece: true, bytes, control, eos, bos, add_bos })
    }

    fn byte_level(file: &Gguf) -> Result<Tokenizer, LmError> {
        let pre = file.get_str("tokenizer.ggml.pre").unwrap_or("default");
        let Some((pre_tokenizer, ignore_merges)) = byte_level_pre_tokenizer(pre)? else {
            return Err(LmError::Unsupported(format!(
                "{}: pre-tokenizer {pre:?}; vecspace implements {}",
                file.path.display(),
                PRE_TOKENIZERS.join(", ")
            )));
        };
        let tokens = Tokenizer::strings(file, "tokenizer.ggml.tokens")?;
        let types = Tokenizer::token_types(file, tokens.len())?;
        let merges: Vec<(String, String)> = Tokenizer::strings(file, "tokenizer.ggml.merges")?
            .into_iter()
            .map(|m| match m.split_once(' ') {
                Some((a, b)) => Ok((a.to_owned(), b.to_owned())),
                None => Err(file.invalid(format!("merge {m:?} is not two tokens"))),
            })
            .collect::<Result<_, _>>()?;
        let vocab: Vocab = tokens.iter().enumerate().map(|(i, t)| (t.clone(), i as u32)).collect();
        let bpe = BPE::builder()
            .vocab_and_merges(vocab, merges)
            .ignore_merges(ignore_merges)
            .build()
            .map_err(|e| LmError::Tokenizer(e.to_string()))?;
        let mut inner = tokenizers::Tokenizer::new(bpe);
        inner.with_pre_tokenizer(Some(pre_tokenizer));
        let control: Vec<bool> = types.iter().map(|&t| t == CONTROL).collect();
        let specials: Vec<AddedToken> =
            tokens.iter().zip(&control).filter(|(_, c)| **c).map(|(t, _)| AddedToken::from(t.clone(), true)).collect();
        inner.add_special_tokens(specials).map_err(|e| LmError::Tokenizer(e.to_string()))?;
        let from_char: HashMap<char, u8> = byte_to_char().iter().enumerate().map(|(b, &c)| (c, b as u8)).collect();
        let bytes = tokens
            .iter()
            .zip(&control)
            .map(|(t, &c)| {
                if c {
                    t.as_bytes().to_vec()
                } else {
                    t.chars().map(|ch| from_char.get(&ch).copied().unwrap_or(b'?')).collect()
                }
            })
            .collect();
        let (eos, bos, add_bos) = Tokenizer::special_ids(file);
        let eos = eos.ok_or_else(|| file.invalid("no EOS token".into()))?;
        let encoder = Encoder::ByteLevel(Box::new(inner));
        Ok(Tokenizer { encoder, sentencepiece: false, bytes, control, eos, bos, add_bos })
    }

    pub fn vocab_size(&self) -> usize {
        self.bytes.len()
    }

    /// Token ids of `text`; control tokens written in the text (`<|im_start|>`) are recognised.
    pub fn encode(&self, text: &str) -> Result<Vec<u32>, LmError> {
        let mut ids = Vec::with_capacity(text.len() / 3 + 2);
        if self.add_bos {
            ids.extend(self.bos);
        }
        match &self.encoder {
            Encoder::ByteLevel(inner) => {
                let encoding = inner.encode(text, false).map_err(|e| LmError::Tokenizer(e.to_string()))?;
                ids.extend_from_slice(encoding.get_ids());
            }
            Encoder::SentencePiece(inner) => ids.extend(inner.encode(text)),
        }
        Ok(ids)
    }

    /// The bytes a token stands for (a control token's own text).
    pub fn token_bytes(&self, id: u32) -> &[u8] {
        self.bytes.get(id as usize).map_or(&[], Vec::as_slice)
    }

    /// The token that separates documents in training (`<|endoftext|>`), if the vocabulary has
    /// one: a neutral start for reading a short prompt's activations.
    pub fn document_start(&self) -> Option<u32> {
        let wanted: &[u8] = b"<|endoftext|>";
        (0..self.bytes.len() as u32).find(|&id| self.is_control(id) && self.token_bytes(id) == wanted)
    }

    /// A prompt whose activations are read, split into the neutral start run before it and the
    /// prompt's own tokens: the BOS token where the file adds one (Gemma), else the document
    /// separator (SmolLM2). Positions then count the prompt's tokens only.
    pub fn encode_for_reading(&self, text: &str) -> Result<(Vec<u32>, Vec<u32>), LmError> {
        let mut ids = self.encode(text)?;
        match self.bos.filter(|_| self.add_bos) {
            Some(bos) if ids.first() == Some(&bos) => {
                ids.remove(0);
                Ok((vec![bos], ids))
            }
            _ => Ok((self.document_start().into_iter().collect(), ids)),
        }
    }

    pub fn is_control(&self, id: u32) -> bool {
        self.control.get(id as usize).copied().unwrap_or(false)
    }

    /// The id of the control token written `text` (`<end_of_turn>`), if the vocabulary has one.
    pub fn control_token(&self, text: &str) -> Option<u32> {
        let found =
            self.bytes.iter().zip(&self.control).position(|(bytes, &control)| control && bytes == text.as_bytes());
        found.map(|id| id as u32)
    }

    /// The text of `ids` (invalid UTF-8 replaced), control tokens included.
    pub fn decode(&self, ids: &[u32]) -> String {
        let bytes: Vec<u8> = ids.iter().flat_map(|&id| self.token_bytes(id).iter().copied()).collect();
        String::from_utf8_lossy(&bytes).into_owned()
    }

    /// A token's text for display: its bytes, with the vocabulary's stand-ins for invisible bytes
    /// kept (GPT-2's `Ġ` or SentencePiece's `▁` for a space), as token lists usually show them.
    pub fn token_text(&self, id: u32) -> String {
        let table = byte_to_char();
        if self.is_control(id) {
            return String::from_utf8_lossy(self.token_bytes(id)).into_owned();
        }
        if self.sentencepiece {
            return String::from_utf8_lossy(self.token_bytes(id)).replace(' ', &sentencepiece::SPACE.to_string());
        }
        self.token_bytes(id).iter().map(|&b| table[b as usize]).collect()
    }
}

/// Turns a stream of token bytes into text, holding back an incomplete UTF-8 character until the
/// rest of it arrives.
#[derive(Debug, Default)]
pub struct TextStream {
    pending: Vec<u8>,
}

impl TextStream {
    /// The text that `bytes` completes.
    pub fn push(&mut self, bytes: &[u8]) -> String {
        self.pending.extend_from_slice(bytes);
        let mut text = String::new();
        loop {
            let (ready, done) = match std::str::from_utf8(&self.pending) {
                Ok(_) => (self.pending.len(), true),
                // No error length: a character cut short at the end; wait for the rest.
                Err(e) if e.error_len().is_none() => (e.valid_up_to(), true),
                // Bytes that can never become valid are replaced, as lossy decoding would.
                Err(e) => (e.valid_up_to() + e.error_len().unwrap_or(0), false),
            };
            let chunk: Vec<u8> = self.pending.drain(..ready).collect();
            text.push_str(&String::from_utf8_lossy(&chunk));
            if done {
                return text;
            }
        }
    }

    /// Whatever is still held back.
    pub fn finish(&mut self) -> String {
        let rest = std::mem::take(&mut self.pending);
        String::from_utf8_lossy(&rest).into_owned()
    }
}

/// How a model family lays out a chat turn: recognised from the file's chat template, or where
/// the file has none (Gemma 3's GGUF), from the turn tokens its vocabulary holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChatFormat {
    /// `<|im_start|>role\n…<|im_end|>` (SmolLM2, Qwen), with the system message the template adds
    /// when the conversation has none, where it is known.
    ChatMl { system: Option<String> },
    /// `<start_of_turn>user\n…<end_of_turn>\n<start_of_turn>model\n` (Gemma).
    Gemma,
    /// `<|start_header_id|>user<|end_header_id|>\n\n…<|eot_id|>` (Llama 3).
    Llama3,
}

/// The system message SmolLM2's template adds when the conversation has none.
pub const DEFAULT_SYSTEM: &str = "You are a helpful AI assistant named SmolLM, trained by Hugging Face";

impl ChatFormat {
    /// The format of `file`'s model.
    pub fn of(file: &Gguf, tokenizer: &Tokenizer) -> Result<ChatFormat, LmError> {
        let template = file.metadata.get("tokenizer.chat_template").and_then(|v| v.as_str());
        let has = |marker: &str| match template {
            Some(template) => template.contains(marker),
            None => tokenizer.control_token(marker).is_some(),
        };
        if has("<start_of_turn>") {
            Ok(ChatFormat::Gemma)
        } else if has("<|start_header_id|>") {
            Ok(ChatFormat::Llama3)
        } else if has("<|im_start|>") {
            let smollm = template.is_some_and(|t| t.contains(DEFAULT_SYSTEM));
            Ok(ChatFormat::ChatMl { system: smollm.then(|| DEFAULT_SYSTEM.to_owned()) })
        } else {
            Err(LmError::Unsupported(format!(
                "{}: no chat format vecspace knows (ChatML, Gemma's or Llama 3's turns) in the file's template or tokens",
                file.path.display()
            )))
        }
    }

    /// One user message and the start of the model's answer, as the template renders them (the
    /// tokenizer adds BOS where the file asks for it).
    pub fn prompt(&self, user: &str) -> String {
        match self {
            ChatFormat::ChatMl { system } => {
                let system =
                    system.as_deref().map(|s| format!("<|im_start|>system\n{s}<|im_end|>\n")).unwrap_or_default();
                format!("{system}<|im_start|>user\n{user}<|im_end|>\n<|im_start|>assistant\n")
            }
            ChatFormat::Gemma => format!("<start_of_turn>user\n{user}<end_of_turn>\n<start_of_turn>model\n"),
            ChatFormat::Llama3 => format!(
                "<|start_header_id|>user<|end_header_id|>\n\n{user}<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_byte_table_is_gpt2s() {
        let table = byte_to_char();
        assert_eq!(table[b' ' as usize], 'Ġ');
        assert_eq!(table[b'\n' as usize], 'Ċ');
        assert_eq!(table[b'A' as usize], 'A');
        let distinct: std::collections::HashSet<char> = table.iter().copied().collect();
        assert_eq!(distinct.len(), 256);
    }

    #[test]
    fn streams_hold_back_cut_characters() {
        let mut stream = TextStream::default();
        let euro = "€".as_bytes();
        assert_eq!(stream.push(b"a"), "a");
        assert_eq!(stream.push(&euro[..2]), "");
        assert_eq!(stream.push(&euro[2..]), "€");
        assert_eq!(stream.push(&[0xff, b'b']), "\u{fffd}b");
        assert_eq!(stream.push(&euro[..1]), "");
        assert_eq!(stream.finish(), "\u{fffd}");
    }
}

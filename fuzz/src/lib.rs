//! Helpers shared by the fuzz targets: a scratch file per process for readers that take a path,
//! and the small in-memory word space the expression, HNSW and server targets work on.
//!
//! The space's values are multiples of 1/4 and every row's length is a whole multiple of 1/4, so
//! its norms (and so its fingerprint) are exact: `seeds/make_seeds.py` computes the same ones to
//! write valid HNSW files for it.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use vecspace_core::Space;

/// The words of [`small_space`], in row order.
pub const WORDS: [&str; 32] = [
    "king", "queen", "man", "woman", "prince", "princess", "boy", "girl", "paris", "france", "berlin", "germany",
    "rome", "italy", "happy", "sad", "good", "bad", "big", "small", "cat", "dog", "new_york", "seed:12", "café",
    "naïve", "u.s.", "'s", "the", "a", "x", "日本",
];

/// Dimensions of [`small_space`].
pub const DIMS: usize = 8;

/// Integer vectors whose lengths are whole numbers (3, 5, 7, 9, 9, 11).
const BASES: [[i32; 3]; 6] = [[1, 2, 2], [3, 4, 0], [2, 3, 6], [1, 4, 8], [4, 4, 7], [2, 6, 9]];

/// The values of row `row` of [`small_space`]: a base vector, rotated and with signs flipped by
/// the row number, divided by 4.
pub fn small_row(row: usize) -> [f32; DIMS] {
    let base = BASES[row % BASES.len()];
    let shift = (row * 3) % DIMS;
    let mut values = [0.0f32; DIMS];
    for (i, &b) in base.iter().enumerate() {
        let sign = if (row >> i) & 1 == 1 { -1.0 } else { 1.0 };
        values[(i * (1 + row % 2) + shift) % DIMS] = sign * b as f32 / 4.0;
    }
    values
}

/// A 32-word, 8-dimension space (see the module comment).
pub fn small_space() -> Space {
    let words = WORDS.iter().map(|w| (*w).to_owned()).collect();
    let data = (0..WORDS.len()).flat_map(small_row).collect();
    Space::from_rows(words, data, DIMS).expect("a valid space")
}

/// The same space, built once per process.
pub fn shared_space() -> &'static Space {
    static SPACE: OnceLock<Space> = OnceLock::new();
    SPACE.get_or_init(small_space)
}

/// A folder for scratch files, one per process (in `/dev/shm` where there is one).
pub fn scratch_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let shm = Path::new("/dev/shm");
        let base = if shm.is_dir() { shm.to_owned() } else { std::env::temp_dir() };
        remove_stale_scratch(&base);
        let dir = base.join(format!("vecspace-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a scratch folder");
        dir
    })
}

/// Removes the scratch folders of processes that have ended (libFuzzer exits without running
/// destructors, and fork mode starts a process per job).
fn remove_stale_scratch(base: &Path) {
    if !cfg!(target_os = "linux") {
        return;
    }
    let Ok(entries) = std::fs::read_dir(base) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(|n| n.strip_prefix("vecspace-fuzz-")) else { continue };
        if pid.parse::<u32>().is_ok() && !Path::new("/proc").join(pid).exists() {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// Writes `bytes` to the scratch file `name` (the same path on every call in this process).
///
/// Readers that memory-map the file must have dropped what they returned before the next call:
/// the file is rewritten in place.
pub fn scratch_file(name: &str, bytes: &[u8]) -> PathBuf {
    let path = scratch_dir().join(name);
    std::fs::write(&path, bytes).expect("writing the scratch file");
    path
}

/// Splits the input at the first occurrence of `separator`: (before, after); no separator gives
/// (everything, empty).
pub fn split_at_separator<'a>(data: &'a [u8], separator: &[u8]) -> (&'a [u8], &'a [u8]) {
    match data.windows(separator.len()).position(|w| w == separator) {
        Some(at) => (&data[..at], &data[at + separator.len()..]),
        None => (data, &[]),
    }
}

/// Uses a space that a reader accepted the way a command would: every word looked up, vectors
/// read, a neighbour search and an expression over its first words. Whatever a reader accepts
/// must be safe to use.
pub fn exercise(space: &Space) {
    let rows = space.len().min(64);
    for row in 0..rows {
        let word = space.word(row);
        let _ = space.lookup(word);
        let _ = space.vocab().row(word);
        let _ = space.raw_vector(row);
        let _ = space.unit_vector(row);
    }
    let _ = space.metadata();
    if space.is_empty() {
        return;
    }
    let _ = space.nearest(&space.unit_vector(0), 3, &[0]);
    let quoted = |row: usize| {
        let word = space.word(row % space.len());
        format!("\"{}\"", word.replace('\\', "\\\\").replace('"', "\\\""))
    };
    let expression = format!("{} - {} + {}", quoted(0), quoted(1), quoted(2));
    let _ = space.query(&expression, &vecspace_core::QueryOptions::default());
    // Words the space lacks, built from subwords where it has a table.
    if let Some(table) = space.subwords() {
        for word in ["kingdomz", "naïveté", "日本語", "🙂", "x"] {
            let _ = table.vector(word);
        }
        let _ = space.query("kingdomz - naïveté + \"日本語\"", &vecspace_core::QueryOptions::default());
    }
}

/// Words whose byte-level merges the small tokenizer knows, most frequent first.
pub const TOKENIZER_WORDS: [&str; 12] =
    [" the", " and", "ing", " king", " queen", "hello", " world", "er", " 1", "é", "日本", "\n\n"];

/// Control tokens of the small tokenizer, as SmolLM2 has them.
pub const CONTROL_TOKENS: [&str; 3] = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"];

/// The metadata of a small GGUF byte-level BPE tokenizer: the 256 byte tokens, the merges that
/// build [`TOKENIZER_WORDS`] left to right, and [`CONTROL_TOKENS`].
pub fn tokenizer_metadata() -> Vec<(&'static str, vecspace_lm::gguf::Value)> {
    use vecspace_lm::gguf::{Array, Value};
    let table = vecspace_lm::tokenizer::byte_to_char();
    let mut tokens: Vec<String> = table.iter().map(|c| c.to_string()).collect();
    let mut merges: Vec<String> = Vec::new();
    for word in TOKENIZER_WORDS {
        let chars: Vec<String> = word.bytes().map(|b| table[b as usize].to_string()).collect();
        let mut merged = chars[0].clone();
        for next in &chars[1..] {
            let merge = format!("{merged} {next}");
            merged.push_str(next);
            if !merges.contains(&merge) {
                merges.push(merge);
            }
            if !tokens.contains(&merged) {
                tokens.push(merged.clone());
            }
        }
    }
    let mut types = vec![1i32; tokens.len()];
    for control in CONTROL_TOKENS {
        tokens.push(control.to_owned());
        types.push(3);
    }
    let eos = (tokens.len() - CONTROL_TOKENS.len()) as u32;
    vec![
        ("tokenizer.ggml.model", Value::String("gpt2".into())),
        ("tokenizer.ggml.pre", Value::String("smollm".into())),
        ("tokenizer.ggml.tokens", Value::Array(Array::String(tokens.iter().map(String::as_str).collect()))),
        ("tokenizer.ggml.token_type", Value::Array(Array::I32(types))),
        ("tokenizer.ggml.merges", Value::Array(Array::String(merges.iter().map(String::as_str).collect()))),
        ("tokenizer.ggml.eos_token_id", Value::U32(eos)),
        ("tokenizer.ggml.bos_token_id", Value::U32(eos)),
        ("tokenizer.ggml.add_bos_token", Value::Bool(false)),
    ]
}

/// Whether `VECSPACE_FUZZ_VERBOSE` is set: targets then print what each input gave, for checking
/// that the seeds reach the code past the parsers.
pub fn verbose() -> bool {
    static VERBOSE: OnceLock<bool> = OnceLock::new();
    *VERBOSE.get_or_init(|| std::env::var_os("VECSPACE_FUZZ_VERBOSE").is_some_and(|v| !v.is_empty()))
}

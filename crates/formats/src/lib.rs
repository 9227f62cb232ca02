//! Reading and writing embedding files: word2vec (text and binary), GloVe text, fastText `.vec`
//! and `.bin` (with subwords), NumPy `.npy` with a vocabulary file, and vecspace's native format
//! (see `docs/FORMAT.md`).
//!
//! Every file is untrusted: sizes and counts in headers are checked against the file before any
//! allocation they would size, and malformed input is an [`Error`] naming the file and the line
//! or byte offset, never a panic. Where a fix-up is safe and common (a duplicated word, a word that
//! is not valid UTF-8) the reader applies it and reports a warning in [`Loaded::warnings`].
//!
//! ```
//! use vecspace_core::Space;
//! use vecspace_formats::{read, write, Format, ReadOptions};
//!
//! let dir = tempfile::tempdir()?;
//! let path = dir.path().join("toy.vsp");
//! let space = Space::from_rows(vec!["a".into(), "b".into()], vec![1.0, 0.0, 0.0, 1.0], 2)?;
//! write(&space, &path, Format::Native)?;
//! let loaded = read(&path, &ReadOptions::default())?;
//! assert_eq!(loaded.space.vocab().row("b"), Some(1));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod atomic;
mod checksum;
pub mod direction;
mod error;
pub mod fasttext;
pub mod hnsw;
pub mod native;
pub mod npy;
pub mod scores;
mod text;
mod word2vec_binary;

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use vecspace_core::Space;
use vecspace_core::progress::{Progress, Silent};

pub use atomic::write_atomically;
pub use checksum::Checked;
pub use error::{Error, Result};

/// The file formats vecspace reads and writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// vecspace's own memory-mapped format (`.vsp`).
    Native,
    /// word2vec text: a `count dims` header line, then `word v1 … vd` per line. fastText's
    /// `.vec` files are this format.
    Word2VecText,
    /// word2vec binary: the same header, then each word, a space and `dims` little-endian f32.
    Word2VecBinary,
    /// GloVe text: like word2vec text without the header line.
    Glove,
    /// A 2-D NumPy array (`<f4` or `<f8`), with words from a separate vocabulary file.
    Npy,
    /// A Facebook fastText `.bin` model: word vectors and the n-gram table that gives unknown
    /// words theirs (see [`fasttext`]).
    FastText,
}

impl Format {
    pub const ALL: [Format; 6] =
        [Format::Native, Format::Word2VecText, Format::Word2VecBinary, Format::Glove, Format::Npy, Format::FastText];

    pub fn name(self) -> &'static str {
        match self {
            Format::Native => "native",
            Format::Word2VecText => "word2vec-text",
            Format::Word2VecBinary => "word2vec-binary",
            Format::Glove => "glove",
            Format::Npy => "npy",
            Format::FastText => "fasttext-bin",
        }
    }

    /// Whether [`write`] can produce this format.
    pub fn writable(self) -> bool {
        matches!(self, Format::Native | Format::Word2VecText | Format::Word2VecBinary)
    }

    /// The format a file name's extension asks for when writing (`.vsp`, `.txt`/`.vec`, `.bin`).
    pub fn from_extension(path: &Path) -> Option<Format> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "vsp" => Some(Format::Native),
            "txt" | "vec" => Some(Format::Word2VecText),
            "bin" => Some(Format::Word2VecBinary),
            "npy" => Some(Format::Npy),
            _ => None,
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "native" | "vsp" => Ok(Format::Native),
            "word2vec-text" | "word2vec" | "w2v-text" | "text" | "fasttext" | "vec" => Ok(Format::Word2VecText),
            "word2vec-binary" | "w2v-binary" | "binary" | "bin" => Ok(Format::Word2VecBinary),
            "glove" => Ok(Format::Glove),
            "npy" | "numpy" => Ok(Format::Npy),
            "fasttext-bin" | "fasttext-binary" => Ok(Format::FastText),
            _ => Err(format!(
                "unknown format {s:?}: use one of native, word2vec-text (also fasttext for .vec files), \
                 word2vec-binary, glove, npy, fasttext-bin"
            )),
        }
    }
}

/// How to read a file.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// The format; `None` detects it from the file's first bytes.
    pub format: Option<Format>,
    /// The vocabulary file (one word per line) for `.npy` matrices; default: the `.npy` path with
    /// the extension `.vocab`, then `.txt`.
    pub vocab: Option<PathBuf>,
}

/// A space read from a file, with the fix-ups the reader applied.
#[derive(Debug)]
pub struct Loaded {
    pub space: Space,
    pub format: Format,
    pub warnings: Vec<String>,
}

/// Reads a space from `path`.
pub fn read(path: &Path, options: &ReadOptions) -> Result<Loaded> {
    read_with_progress(path, options, &Silent)
}

/// Reads a space from `path`, reporting progress in bytes for the text and binary formats.
pub fn read_with_progress(path: &Path, options: &ReadOptions, progress: &dyn Progress) -> Result<Loaded> {
    let format = match options.format {
        Some(format) => format,
        None => detect(path)?,
    };
    let mut warnings = Vec::new();
    let space = match format {
        Format::Native => native::open(path)?,
        Format::Word2VecText => text::read(path, true, &mut warnings, progress)?,
        Format::Glove => text::read(path, false, &mut warnings, progress)?,
        Format::Word2VecBinary => word2vec_binary::read(path, &mut warnings, progress)?,
        Format::Npy => {
            let vocab = match &options.vocab {
                Some(vocab) => vocab.clone(),
                None => default_vocab_path(path)?,
            };
            npy::read_space(path, &vocab, &mut warnings)?
        }
        Format::FastText => fasttext::read_space(path, &mut warnings)?,
    };
    Ok(Loaded { space, format, warnings })
}

fn default_vocab_path(npy: &Path) -> Result<PathBuf> {
    for extension in ["vocab", "txt"] {
        let candidate = npy.with_extension(extension);
        if candidate.is_file() {
            return Ok(candidate);
        }
    }
    Err(Error::MissingVocabulary { path: npy.to_owned() })
}

/// Writes `space` to `path` in `format`, atomically: the file appears complete or not at all.
pub fn write(space: &Space, path: &Path, format: Format) -> Result<()> {
    match format {
        Format::Native => native::write(space, path),
        Format::Word2VecText => text::write(space, path),
        Format::Word2VecBinary => word2vec_binary::write(space, path),
        Format::Glove | Format::Npy | Format::FastText => Err(Error::Unwritable { format }),
    }
}

/// Bytes of a file inspected to detect its format.
const SNIFF_BYTES: usize = 64 * 1024;

/// Detects the format of `path` from its first bytes, where that is unambiguous.
pub fn detect(path: &Path) -> Result<Format> {
    let mut head = Vec::with_capacity(SNIFF_BYTES);
    vecspace_core::io::open_regular(path)
        .and_then(|f| f.take(SNIFF_BYTES as u64).read_to_end(&mut head))
        .map_err(|e| Error::io(path, e))?;
    if head.is_empty() {
        return Err(Error::Empty { path: path.to_owned() });
    }
    if head.starts_with(native::MAGIC) {
        return Ok(Format::Native);
    }
    if head.starts_with(npy::MAGIC) {
        return Ok(Format::Npy);
    }
    if fasttext::sniff(&head) {
        return Ok(Format::FastText);
    }
    let line_end = head.iter().position(|&b| b == b'\n').unwrap_or(head.len());
    let first_line = String::from_utf8_lossy(&head[..line_end]);
    let tokens: Vec<&str> = first_line.split_ascii_whitespace().collect();
    if tokens.len() == 2 && tokens.iter().all(|t| t.parse::<u64>().is_ok()) {
        // A word2vec header. In text, the next line is a word and `dims` numbers; in binary,
        // the raw float bytes after the word almost never read as that.
        let dims: usize = tokens[1].parse().unwrap_or(0);
        let body = &head[(line_end + 1).min(head.len())..];
        let record = &body[..body.iter().position(|&b| b == b'\n').unwrap_or(body.len())];
        let fields: Vec<&[u8]> = record.split(|b| b.is_ascii_whitespace()).filter(|f| !f.is_empty()).collect();
        let numeric = |f: &&[u8]| std::str::from_utf8(f).is_ok_and(|t| t.parse::<f32>().is_ok());
        // `dims` comes from the file: compared without adding to it, so u64::MAX cannot overflow.
        let parses = fields.len().checked_sub(1) == Some(dims) && fields[1..].iter().all(numeric);
        // A malformed text record is still text: reported line by line rather than as binary.
        let printable = std::str::from_utf8(record).is_ok_and(|t| !t.chars().any(|c| c.is_control() && c != '\r'));
        let textual = parses || (printable && fields.len() >= 2);
        return Ok(if textual || body.is_empty() { Format::Word2VecText } else { Format::Word2VecBinary });
    }
    if tokens.len() >= 2 && tokens[1..].iter().all(|t| t.parse::<f32>().is_ok()) {
        return Ok(Format::Glove);
    }
    Err(Error::UnknownFormat { path: path.to_owned() })
}

/// Most duplicate words listed by name in a warning.
const LISTED_DUPLICATES: usize = 5;

/// Builds a space from rows read out of a file: keeps the first row of a duplicated word (with a
/// warning), and refuses non-finite values, naming the word.
pub(crate) fn assemble(
    path: &Path,
    words: Vec<String>,
    data: Vec<f32>,
    dims: usize,
    warnings: &mut Vec<String>,
) -> Result<Space> {
    let mut seen = std::collections::HashSet::with_capacity(words.len());
    let duplicates: Vec<usize> = (0..words.len()).filter(|&row| !seen.insert(words[row].as_str())).collect();
    drop(seen);
    let (words, data) = if duplicates.is_empty() {
        (words, data)
    } else {
        let names: Vec<String> =
            duplicates.iter().take(LISTED_DUPLICATES).map(|&row| format!("{:?}", words[row])).collect();
        warnings.push(format!(
            "{}: {} duplicated word{} ({}{}); kept the first vector of each",
            path.display(),
            duplicates.len(),
            if duplicates.len() == 1 { "" } else { "s" },
            names.join(", "),
            if duplicates.len() > LISTED_DUPLICATES { ", …" } else { "" },
        ));
        let mut keep = vec![true; words.len()];
        duplicates.iter().for_each(|&row| keep[row] = false);
        let words = words.into_iter().zip(&keep).filter(|(_, k)| **k).map(|(w, _)| w).collect();
        let data =
            data.chunks_exact(dims).zip(&keep).filter(|(_, k)| **k).flat_map(|(row, _)| row.iter().copied()).collect();
        (words, data)
    };
    Space::from_rows(words, data, dims).map_err(|e| Error::space(path, e))
}

#[cfg(test)]
mod tests;

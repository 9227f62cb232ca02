//! Texts as a space: a sentence encoder (registered, such as `minilm-l6`, or a sentence-transformers
//! model directory), a corpus of texts embedded once, and the space whose words are those texts,
//! in which any other text an expression names is embedded on the spot.
//!
//! A corpus given as candidates is embedded once and kept in the cache as a native space, named
//! by the encoder and the SHA-256 of the file, so the same file is never embedded twice; the
//! space records its encoder (metadata `encoder`), so that opening it later attaches the encoder
//! again, wherever the file is.

use std::path::{Path, PathBuf};

use super::{Error, Result};
use crate::fetch::{self, Cache};
use crate::formats::{self, Format};
use crate::progress::Progress;
use crate::text::SentenceEncoder;
use crate::{Space, TextEncoder};

/// The metadata key that names a space's encoder.
pub const ENCODER_KEY: &str = "encoder";

/// Largest corpus file read (texts are held in memory while they are embedded).
const MOST_CORPUS_BYTES: u64 = 1 << 30;

/// Whether `name` is a registered sentence encoder.
pub fn is_encoder(name: &str) -> bool {
    fetch::registry::find(name).is_some_and(|entry| entry.kind == fetch::Kind::SentenceEncoder)
}

fn known_encoders() -> String {
    let names: Vec<&str> =
        fetch::REGISTRY.iter().filter(|e| e.kind == fetch::Kind::SentenceEncoder).map(|e| e.name).collect();
    names.join(", ")
}

/// A sentence encoder: a registered one (fetched on first use) or a model directory.
pub fn open_encoder(name: &str, progress: &dyn Progress) -> Result<SentenceEncoder> {
    if is_encoder(name) {
        let cache = Cache::from_env()?;
        let dir = fetch::ensure(name, &cache, progress)?;
        return Ok(SentenceEncoder::load(&dir)?.with_name(name));
    }
    let dir = Path::new(name);
    if dir.is_dir() {
        return Ok(SentenceEncoder::load(dir)?.with_name(name));
    }
    Err(Error::invalid(format!(
        "{name:?} is neither a registered sentence encoder ({}) nor a model directory",
        known_encoders()
    )))
}

/// Texts to embed, each with the line of the file it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Corpus {
    /// The file's name, for messages and provenance.
    pub source: String,
    pub texts: Vec<String>,
    /// The 1-based line of each text.
    pub lines: Vec<usize>,
}

/// The texts of a corpus file, one per line: an empty line is an error naming it (a blank text
/// has no meaning to embed), a repeated line is kept once (`warnings` says so).
pub fn read_corpus(path: &Path, warnings: &mut Vec<String>) -> Result<Corpus> {
    let text = vecspace_core::io::read_regular_to_string(path, MOST_CORPUS_BYTES)
        .map_err(|e| Error::Io { path: path.to_owned(), source: e })?;
    let mut seen = std::collections::HashSet::new();
    let (mut texts, mut lines) = (Vec::new(), Vec::new());
    let mut repeated = 0usize;
    for (index, line) in text.lines().enumerate() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.trim().is_empty() {
            return Err(Error::invalid(format!(
                "{} line {} is empty; a corpus holds one text per line, with no blank lines",
                path.display(),
                index + 1
            )));
        }
        if seen.insert(line) {
            texts.push(line.to_owned());
            lines.push(index + 1);
        } else {
            repeated += 1;
        }
    }
    if texts.is_empty() {
        return Err(Error::invalid(format!("{} holds no texts", path.display())));
    }
    if repeated > 0 {
        warnings.push(format!("{}: {repeated} repeated line(s) kept once", path.display()));
    }
    let source = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    Ok(Corpus { source, texts, lines })
}

/// The space of a corpus's texts embedded by `encoder` (in batches, with progress), recording
/// the encoder and the source in its metadata. A text the encoder refuses (one with no tokens) is
/// an error naming its line.
pub fn embed(encoder: &SentenceEncoder, corpus: Corpus, progress: &dyn Progress) -> Result<Space> {
    let Corpus { source, texts, lines } = corpus;
    for (text, line) in texts.iter().zip(&lines) {
        encoder.tokenize(text).map_err(|e| Error::invalid(format!("{source} line {line}: {e}")))?;
    }
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let vectors = encoder.encode_all(&refs, progress)?;
    let data: Vec<f32> = vectors.into_iter().flatten().collect();
    let count = texts.len();
    Ok(Space::from_rows(texts, data, encoder.dims())?
        .with_metadata(ENCODER_KEY, encoder.name())
        .with_metadata("source", source.as_str())
        .with_metadata("description", format!("{count} texts embedded with {}", encoder.name())))
}

/// Where the cached space of a corpus file embedded by `encoder` lives:
/// `$VECSPACE_HOME/corpora/ENCODER-SHA256PREFIX.vsp`.
pub fn corpus_path(cache: &Cache, encoder: &str, corpus: &Path) -> Result<PathBuf> {
    // A file that cannot be read is the user's to fix, not a failed download.
    vecspace_core::io::open_regular(corpus).map_err(|e| Error::Io { path: corpus.to_owned(), source: e })?;
    let digest = fetch::sha256_file(corpus)?;
    let safe: String = encoder.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' }).collect();
    Ok(cache.root().join("corpora").join(format!("{safe}-{}.vsp", &digest[..16])))
}

/// The space of the texts in `corpus` embedded by `encoder`, with the encoder attached: from the
/// cache when this file was embedded before, else embedded now and kept there. Also says whether
/// it was embedded now.
pub fn corpus_space(
    encoder: SentenceEncoder,
    corpus: &Path,
    warnings: &mut Vec<String>,
    progress: &dyn Progress,
) -> Result<(Space, PathBuf, bool)> {
    let cache = Cache::from_env()?;
    let path = corpus_path(&cache, encoder.name(), corpus)?;
    let embedded_now = !path.is_file();
    if embedded_now {
        let space = embed(&encoder, read_corpus(corpus, warnings)?, progress)?;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| Error::Io { path: dir.to_owned(), source: e })?;
        }
        formats::write(&space, &path, Format::Native)?;
    }
    let space = formats::native::open(&path)?.with_encoder(Box::new(encoder))?;
    Ok((space, path, embedded_now))
}

/// What `embed_file` made.
#[derive(Debug, Clone, PartialEq)]
pub struct Embedded {
    pub texts: usize,
    pub dims: usize,
    /// Fix-ups to tell the reader (repeated lines kept once).
    pub warnings: Vec<String>,
}

/// Embeds the texts of `corpus` (one per line) with the encoder `encoder` names and writes the
/// space to `out` (native format, atomically), refusing to replace `out` unless `overwrite`
/// allows it. Opening `out` later attaches the same encoder again.
pub fn embed_file(
    encoder: &str,
    corpus: &Path,
    out: &Path,
    overwrite: super::files::Overwrite,
    progress: &dyn Progress,
) -> Result<Embedded> {
    super::files::check_output(out, &[corpus], overwrite)?;
    if !is_encoder(encoder) && !Path::new(encoder).is_dir() {
        return Err(Error::invalid(format!(
            "embedding needs a sentence encoder as the space ({}), not {encoder:?}",
            known_encoders()
        )));
    }
    let mut warnings = Vec::new();
    let texts = read_corpus(corpus, &mut warnings)?;
    let encoder = open_encoder(encoder, progress)?;
    let space = embed(&encoder, texts, progress)?;
    formats::write(&space, out, Format::Native)?;
    Ok(Embedded { texts: space.len(), dims: space.dims(), warnings })
}

/// Attaches the encoder a space's metadata names, if any, so that texts outside it can be
/// embedded; returns its name.
pub fn attach_recorded_encoder(space: &mut Space, progress: &dyn Progress) -> Result<Option<String>> {
    let Some(name) = space.metadata().iter().find(|(key, _)| key == ENCODER_KEY).map(|(_, v)| v.clone()) else {
        return Ok(None);
    };
    let encoder: Box<dyn TextEncoder> = Box::new(open_encoder(&name, progress)?);
    space.set_encoder(encoder)?;
    Ok(Some(name))
}

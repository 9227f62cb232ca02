//! Turning `--space` into an open space: a registered name (fetched on first use) or a file.

use std::path::Path;

use anyhow::{Context, Result, bail};
use vecspace::Space;
use vecspace::fetch::{self, Cache};
use vecspace::formats::{self, Format, ReadOptions};

use crate::SpaceArgs;
use crate::progress::Bars;

/// An open space and what to call it.
pub struct Opened {
    pub space: Space,
    pub name: String,
    pub path: std::path::PathBuf,
    /// The file format, for display.
    pub format: String,
}

/// The suffix that turns a language model's name into the space of its token embeddings.
const EMBEDDINGS: &str = ":embeddings";

/// The search engines `--index` chooses between.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Index {
    #[default]
    Exact,
    F16,
    Int8,
    Hnsw,
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

/// Where `--backend` sends neighbour searches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BackendChoice {
    #[default]
    Local,
    Remote(vecspace::remote::Backend),
}

impl std::str::FromStr for BackendChoice {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<BackendChoice, String> {
        match s {
            "local" => Ok(BackendChoice::Local),
            other => other.parse().map(BackendChoice::Remote),
        }
    }
}

/// The server, and the collection on it, that `--backend`, `--uri` and `--collection` name; `None`
/// for the local backend.
pub fn remote_target(args: &SpaceArgs) -> Result<Option<vecspace::remote::Target>> {
    let BackendChoice::Remote(backend) = args.backend else { return Ok(None) };
    let Some(uri) = &args.uri else {
        bail!("--backend {backend} needs --uri (or VECSPACE_URI): the server's address");
    };
    let collection = match &args.collection {
        Some(name) => name.clone(),
        None => vecspace::remote::collection_name(&space_label(&args.space)),
    };
    Ok(Some(vecspace::remote::Target { backend, uri: uri.clone(), collection }))
}

/// A space's name for its collection: a registered name as it is, a file by its stem.
fn space_label(space: &str) -> String {
    let path = Path::new(space);
    if path.exists() {
        path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| space.to_owned())
    } else {
        space.to_owned()
    }
}

/// The space with the engine `--index` or `--backend` asks for.
pub fn open(args: &SpaceArgs) -> Result<Opened> {
    let mut opened = open_space(args)?;
    if let Some(target) = remote_target(args)? {
        if args.index != Index::Exact {
            bail!("--index {:?} applies to the local backend; the server searches with its own index", args.index);
        }
        let engine = vecspace::remote::connect(&target, &opened.space)?;
        opened.space.set_engine(engine);
        return Ok(opened);
    }
    match args.index {
        Index::Exact => {}
        Index::Int8 => {
            let engine = vecspace::search::Int8::build(opened.space.rows());
            opened.space.set_engine(Box::new(engine));
        }
        Index::F16 => {
            let engine = vecspace::search::F16::build(opened.space.rows());
            opened.space.set_engine(Box::new(engine));
        }
        Index::Hnsw => {
            let mut engine = hnsw_index(&opened)?;
            if args.ef == 0 {
                bail!("--ef must be at least 1");
            }
            engine.ef = args.ef;
            opened.space.set_engine(Box::new(engine));
        }
    }
    Ok(opened)
}

/// The space with the exact local scan, whatever `--backend` says (for `push`).
pub fn open_local(args: &SpaceArgs) -> Result<Opened> {
    open_space(args)
}

/// The HNSW index kept beside the space file, or a new one (built with a progress bar and saved
/// there when the directory is writable).
fn hnsw_index(opened: &Opened) -> Result<vecspace::search::hnsw::Hnsw> {
    use vecspace::search::hnsw::{Hnsw, HnswParams};
    let path = formats::hnsw::path_beside(&opened.path);
    if path.exists() {
        match formats::hnsw::open(&path, &opened.space) {
            Ok(index) => return Ok(index),
            Err(e) => eprintln!("warning: {e}; building a new index"),
        }
    }
    let index = Hnsw::build(opened.space.rows(), HnswParams::default(), &Bars::new());
    match formats::hnsw::write(&index, formats::hnsw::fingerprint(&opened.space), &path) {
        Ok(()) => eprintln!("saved the index to {}", path.display()),
        Err(e) => eprintln!("warning: the index is not kept ({e})"),
    }
    Ok(index)
}

fn open_space(args: &SpaceArgs) -> Result<Opened> {
    if let Some(model) = args.space.strip_suffix(EMBEDDINGS) {
        return open_token_embeddings(model, &args.space);
    }
    if let Some(entry) = fetch::registry::find(&args.space).filter(|e| e.kind == fetch::Kind::WordSpace) {
        let cache = Cache::from_env()?;
        let path = fetch::ensure_space(entry.name, &cache, &Bars::new())?;
        let space = formats::native::open(&path).with_context(|| {
            format!(
                "the cached copy of {} is unreadable; `vecspace fetch {} --force` replaces it",
                entry.name, entry.name
            )
        })?;
        return Ok(Opened { space, name: entry.name.to_owned(), path, format: Format::Native.to_string() });
    }
    let path = Path::new(&args.space);
    if !path.exists() {
        let known: Vec<&str> =
            fetch::REGISTRY.iter().filter(|e| e.kind == fetch::Kind::WordSpace).map(|e| e.name).collect();
        bail!("{:?} is neither a registered space ({}) nor an existing file", args.space, known.join(", "));
    }
    let options = ReadOptions { format: args.format, vocab: args.vocab.clone() };
    let loaded = formats::read_with_progress(path, &options, &Bars::new())?;
    print_warnings(&loaded.warnings);
    Ok(Opened {
        space: loaded.space,
        name: args.space.clone(),
        path: path.to_owned(),
        format: loaded.format.to_string(),
    })
}

/// A language model's input embedding matrix as a space whose words are its tokens, written as
/// token lists show them (`Ġking` is " king", with its leading space).
fn open_token_embeddings(model: &str, name: &str) -> Result<Opened> {
    let loaded = crate::lm::load(model)?;
    let embeddings = loaded.model.embeddings();
    let words: Vec<String> = (0..embeddings.rows as u32).map(|id| loaded.tokenizer.token_text(id)).collect();
    let data: Vec<f32> = (0..embeddings.rows).flat_map(|r| embeddings.dequantize_row(r)).collect();
    let space = Space::from_rows(words, data, embeddings.columns)?;
    let format = format!("GGUF token embeddings ({:?})", embeddings.kind);
    Ok(Opened { space, name: name.to_owned(), path: loaded.file.path.clone(), format })
}

pub fn print_warnings(warnings: &[String]) {
    for warning in warnings {
        eprintln!("warning: {warning}");
    }
}

//! Turning `--space`, `--index` and `--backend` into a request for the application layer, and its
//! warnings onto stderr.

use anyhow::Result;
use vecspace::app::{self, Opened, SpaceRequest};

use crate::SpaceArgs;
use crate::progress::Bars;

/// Where `--backend` sends neighbour searches.
#[cfg(feature = "remote")]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BackendChoice {
    #[default]
    Local,
    Remote(vecspace::remote::Backend),
}

#[cfg(feature = "remote")]
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
#[cfg(feature = "remote")]
pub fn remote_target(args: &SpaceArgs) -> Result<Option<vecspace::remote::Target>> {
    let BackendChoice::Remote(backend) = args.backend else { return Ok(None) };
    let Some(uri) = &args.uri else {
        anyhow::bail!("--backend {backend} needs --uri (or VECSPACE_URI): the server's address");
    };
    let collection = match &args.collection {
        Some(name) => name.clone(),
        None => vecspace::remote::collection_name(&app::spaces::space_label(&args.space)),
    };
    Ok(Some(vecspace::remote::Target { backend, uri: uri.clone(), collection }))
}

/// The application layer's request for `--space` and the search options.
pub fn request(args: &SpaceArgs) -> Result<SpaceRequest> {
    Ok(SpaceRequest {
        space: args.space.clone(),
        format: args.format,
        vocab: args.vocab.clone(),
        index: args.index,
        ef: args.ef,
        #[cfg(feature = "remote")]
        nprobe: args.nprobe,
        #[cfg(not(feature = "remote"))]
        nprobe: None,
        verify: args.verify,
        candidates: args.candidates.clone(),
        #[cfg(feature = "remote")]
        remote: remote_target(args)?,
    })
}

/// The space with the engine `--index` or `--backend` asks for.
pub fn open(args: &SpaceArgs) -> Result<Opened> {
    let opened = app::spaces::open(&request(args)?, &Bars::new())?;
    report(&opened);
    Ok(opened)
}

/// Prints what opening a space warned of or noted.
pub fn report(opened: &Opened) {
    print_warnings(&opened.warnings);
    for note in &opened.notes {
        eprintln!("{note}");
    }
}

pub fn print_notes(notes: &[String]) {
    for note in notes {
        eprintln!("note: {note}");
    }
}

pub fn print_warnings(warnings: &[String]) {
    for warning in warnings {
        eprintln!("warning: {warning}");
    }
}

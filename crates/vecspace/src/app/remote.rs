//! Spaces in database servers: pushing a space's rows, with the index the server is to search
//! them with. Searching through a server is [`super::spaces::open`] with a remote target.

use vecspace_core::progress::Progress;

use super::{Opened, Result, SpaceRequest, spaces};
use crate::remote::{self, IndexKind, PushOptions, PushReport, ServerIndex, Target};

/// The index a push asks for, before the space's size fills in the defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct IndexRequest {
    /// `None`: keep the collection's index (FLAT for a new one).
    pub kind: Option<IndexKind>,
    pub m: Option<usize>,
    pub ef_construction: Option<usize>,
    pub nlist: Option<usize>,
}

impl IndexRequest {
    /// Refuses build parameters the index kind does not take.
    fn check(&self) -> Result<()> {
        let graph = self.m.is_some() || self.ef_construction.is_some();
        let misplaced = match self.kind {
            None | Some(IndexKind::Flat) if graph || self.nlist.is_some() => Some("--m, --ef-construction and --nlist"),
            Some(IndexKind::Hnsw) if self.nlist.is_some() => Some("--nlist"),
            Some(IndexKind::Ivf | IndexKind::IvfSq8) if graph => Some("--m and --ef-construction"),
            _ => None,
        };
        match misplaced {
            Some(options) => Err(super::Error::invalid(format!(
                "{options} do not apply to {}: --m and --ef-construction build an hnsw index, --nlist an ivf one",
                self.kind.map_or("the collection's present index".to_owned(), |kind| format!("--server-index {kind}"))
            ))),
            None => Ok(()),
        }
    }
}

/// How to push: rows per request, whether to start afresh, the index, the replicas.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PushRequest {
    pub batch: usize,
    pub replace: bool,
    pub index: IndexRequest,
    /// Milvus: in-memory copies to load (`None`: as loaded, or one).
    pub replicas: Option<usize>,
}

impl Default for PushRequest {
    fn default() -> Self {
        let options = PushOptions::default();
        PushRequest { batch: options.batch, replace: options.replace, index: IndexRequest::default(), replicas: None }
    }
}

/// A push's outcome, with the space it pushed.
pub struct Pushed {
    pub opened: Opened,
    pub target: Target,
    pub report: PushReport,
    pub seconds: f64,
}

/// Opens the space locally and pushes it to `target` as `push` says, building the index it asks
/// for once the rows have landed.
pub fn push(request: &SpaceRequest, target: &Target, push: &PushRequest, progress: &dyn Progress) -> Result<Pushed> {
    let index = &push.index;
    index.check()?;
    let opened = spaces::open_local(request, progress)?;
    let index = index
        .kind
        .map(|kind| ServerIndex::new(kind, index.m, index.ef_construction, index.nlist, opened.space.len()))
        .transpose()?;
    let started = std::time::Instant::now();
    let options = PushOptions { batch: push.batch, replace: push.replace, index, replicas: push.replicas };
    let report = remote::push(target, &opened.space, &options, progress)?;
    Ok(Pushed { opened, target: target.clone(), report, seconds: started.elapsed().as_secs_f64() })
}

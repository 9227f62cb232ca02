//! Neighbour search in a database server: a space's unit rows pushed to PostgreSQL with pgvector,
//! or to Milvus, and searched there through the same [`SearchEngine`] interface as the local
//! engines.
//!
//! The arithmetic stays local: a space is still opened from its file, words are looked up and
//! expressions evaluated here, and only the top-k search with its exclusions goes to the server.
//! The server returns a few more candidates than asked for, and they are scored again against the
//! local rows with the exact scan's kernel ([`rescore`]), so an exact remote index (pgvector
//! without an index, Milvus's FLAT index) gives the local exact answers bit for bit.
//!
//! Every pushed space is recorded with its shape and a fingerprint of its rows; a space opened
//! against a server that holds other rows under the same name, or a push that did not finish, is
//! refused with an error that says what to do.

mod milvus;
mod pgvector;

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use rayon::prelude::*;
use vecspace_core::Space;
use vecspace_core::progress::Progress;
use vecspace_core::search::engine::{needs_exact_scan, rescore};
use vecspace_core::search::{Neighbor, Rows, Scoring, SearchEngine, nearest};

/// Everything that can go wrong talking to a database server.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error("invalid {backend} URI {uri:?}: {reason}")]
    InvalidUri { backend: Backend, uri: String, reason: String },
    #[error("cannot reach the {backend} server at {uri}: {message}")]
    Unreachable { backend: Backend, uri: String, message: String },
    #[error("the {backend} server at {uri} refused the credentials: {message}")]
    Auth { backend: Backend, uri: String, message: String },
    #[error(
        "the {backend} server at {uri} holds no space {collection:?}; push it first (vecspace push --backend {backend})"
    )]
    NotPushed { backend: Backend, uri: String, collection: String },
    #[error(
        "{collection:?} on the {backend} server holds another space ({found}, this one is {expected}); push with --replace to overwrite it"
    )]
    OtherSpace { backend: Backend, collection: String, found: String, expected: String },
    #[error(
        "{collection:?} on the {backend} server holds {pushed} of {rows} rows: its push did not finish; run vecspace push again to resume"
    )]
    Incomplete { backend: Backend, collection: String, pushed: usize, rows: usize },
    #[error("the {backend} server at {uri} failed: {message}")]
    Server { backend: Backend, uri: String, message: String },
    #[error("{backend} has no {index} index; it offers {offers}")]
    UnsupportedIndex { backend: Backend, index: IndexKind, offers: &'static str },
    #[error("invalid {what}: {reason}")]
    InvalidParameter { what: &'static str, reason: String },
}

/// Result with the remote [`enum@Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A database server kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Pgvector,
    Milvus,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Pgvector => "pgvector",
            Backend::Milvus => "milvus",
        }
    }
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Backend {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "pgvector" | "postgres" | "postgresql" => Ok(Backend::Pgvector),
            "milvus" => Ok(Backend::Milvus),
            _ => Err(format!("unknown backend {s:?}: use local, pgvector or milvus")),
        }
    }
}

/// Where a space lives on a server: the backend, its URI and the collection (Milvus) or table
/// (pgvector) name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub backend: Backend,
    pub uri: String,
    pub collection: String,
}

impl Target {
    /// `space` stored under [`collection_name`]`(space)`.
    pub fn new(backend: Backend, uri: impl Into<String>, space: &str) -> Target {
        Target { backend, uri: uri.into(), collection: collection_name(space) }
    }
}

/// The collection or table a space is stored in: `vecspace_` and the space's name with every
/// character other than an ASCII letter or digit replaced by `_`, lower-cased (a valid identifier
/// for both servers, no quoting needed).
///
/// ```
/// assert_eq!(vecspace_remote::collection_name("glove-6b-50d"), "vecspace_glove_6b_50d");
/// ```
pub fn collection_name(space: &str) -> String {
    let body: String =
        space.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '_' }).collect();
    format!("vecspace_{body}")
}

/// What identifies a space's rows on a server: shape and fingerprint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Identity {
    pub rows: usize,
    pub dims: usize,
    pub fingerprint: String,
}

impl Identity {
    pub fn of(space: &Space) -> Identity {
        Identity { rows: space.len(), dims: space.dims(), fingerprint: format!("{:016x}", space.rows().fingerprint()) }
    }
}

impl Target {
    /// Before a search: refuses a space the server does not hold under this name (`recorded` is
    /// what it records there), or holds other rows under it.
    pub(crate) fn check_identity(&self, recorded: Option<Identity>, ours: &Identity) -> Result<()> {
        match recorded {
            None => Err(Error::NotPushed {
                backend: self.backend,
                uri: redact(&self.uri),
                collection: self.collection.clone(),
            }),
            Some(theirs) if theirs != *ours => Err(self.other_space(&theirs, ours)),
            Some(_) => Ok(()),
        }
    }

    /// Before a search: refuses a collection that holds `pushed` of the space's `rows`.
    pub(crate) fn check_complete(&self, pushed: usize, rows: usize) -> Result<()> {
        if pushed == rows {
            return Ok(());
        }
        Err(Error::Incomplete { backend: self.backend, collection: self.collection.clone(), pushed, rows })
    }

    /// Before a push: whether to start afresh (`false`: the server holds this space, resume), given
    /// what it records under this name. Another space is refused unless it is to be replaced.
    pub(crate) fn push_afresh(&self, recorded: Option<&Identity>, ours: &Identity, replace: bool) -> Result<bool> {
        match recorded {
            Some(theirs) if !replace && theirs == ours => Ok(false),
            Some(theirs) if !replace => Err(self.other_space(theirs, ours)),
            _ => Ok(true),
        }
    }

    fn other_space(&self, theirs: &Identity, ours: &Identity) -> Error {
        Error::OtherSpace {
            backend: self.backend,
            collection: self.collection.clone(),
            found: theirs.to_string(),
            expected: ours.to_string(),
        }
    }
}

impl fmt::Display for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} rows × {} dims, fingerprint {}", self.rows, self.dims, self.fingerprint)
    }
}

/// The kinds of index a server can search a collection with, by the names the servers use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IndexKind {
    /// Exact: pgvector's sequential scan (no index), Milvus's FLAT index.
    Flat,
    /// A hierarchical navigable small-world graph: pgvector `hnsw`, Milvus `HNSW`.
    Hnsw,
    /// Inverted lists over k-means cells, full vectors in each: pgvector `ivfflat`, Milvus
    /// `IVF_FLAT`.
    Ivf,
    /// Inverted lists with each vector quantised to 8 bits per dimension: Milvus `IVF_SQ8` only.
    IvfSq8,
}

impl IndexKind {
    pub fn name(self) -> &'static str {
        match self {
            IndexKind::Flat => "flat",
            IndexKind::Hnsw => "hnsw",
            IndexKind::Ivf => "ivf",
            IndexKind::IvfSq8 => "ivf-sq8",
        }
    }

    /// Whether searches through this index find every nearest row.
    pub fn is_exact(self) -> bool {
        self == IndexKind::Flat
    }
}

impl fmt::Display for IndexKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for IndexKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().replace('_', "-").as_str() {
            "flat" => Ok(IndexKind::Flat),
            "hnsw" => Ok(IndexKind::Hnsw),
            "ivf" | "ivfflat" | "ivf-flat" => Ok(IndexKind::Ivf),
            "ivf-sq8" | "ivfsq8" => Ok(IndexKind::IvfSq8),
            _ => Err(format!("unknown server index {s:?}: use flat, hnsw, ivf or ivf-sq8")),
        }
    }
}

/// HNSW's default links per node (`M`), as in the local index and in both servers.
pub const DEFAULT_M: usize = 16;
/// HNSW's default construction beam, as in the local index; it reaches recall@10 ≥ 0.98 on GloVe
/// 6B 50d at the default search beam (docs/PERFORMANCE.md).
pub const DEFAULT_EF_CONSTRUCTION: usize = 100;

/// A collection's index on a server, with its build parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerIndex {
    pub kind: IndexKind,
    /// HNSW: links per node.
    pub m: usize,
    /// HNSW: the construction beam.
    pub ef_construction: usize,
    /// IVF: the number of k-means cells (inverted lists).
    pub nlist: usize,
}

impl ServerIndex {
    /// No index: the exact search.
    pub const FLAT: ServerIndex = ServerIndex { kind: IndexKind::Flat, m: 0, ef_construction: 0, nlist: 0 };

    /// `kind` with `m`, `ef_construction` and `nlist` where they apply (defaults where they are
    /// `None`: M 16, ef_construction 100, and [`default_nlist`] of `rows`); the others are 0.
    pub fn new(
        kind: IndexKind,
        m: Option<usize>,
        ef_construction: Option<usize>,
        nlist: Option<usize>,
        rows: usize,
    ) -> Result<ServerIndex> {
        let positive = |what: &'static str, value: usize| {
            if value == 0 {
                Err(Error::InvalidParameter { what, reason: "it must be at least 1".into() })
            } else {
                Ok(value)
            }
        };
        Ok(match kind {
            IndexKind::Flat => ServerIndex::FLAT,
            IndexKind::Hnsw => {
                let m = positive("--m", m.unwrap_or(DEFAULT_M))?;
                let ef_construction =
                    positive("--ef-construction", ef_construction.unwrap_or(DEFAULT_EF_CONSTRUCTION))?;
                if ef_construction < 2 * m {
                    return Err(Error::InvalidParameter {
                        what: "--ef-construction",
                        reason: format!("{ef_construction} is below twice M ({m}); the servers refuse it"),
                    });
                }
                ServerIndex { kind, m, ef_construction, nlist: 0 }
            }
            IndexKind::Ivf | IndexKind::IvfSq8 => {
                let nlist = positive("--nlist", nlist.unwrap_or_else(|| default_nlist(rows)))?;
                if nlist > rows.max(1) {
                    return Err(Error::InvalidParameter {
                        what: "--nlist",
                        reason: format!("{nlist} cells for {rows} rows: k-means needs at least one row per cell"),
                    });
                }
                ServerIndex { kind, m: 0, ef_construction: 0, nlist }
            }
        })
    }
}

impl fmt::Display for ServerIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            IndexKind::Flat => f.write_str("flat (exact)"),
            IndexKind::Hnsw => write!(f, "hnsw (M {}, ef_construction {})", self.m, self.ef_construction),
            IndexKind::Ivf | IndexKind::IvfSq8 => write!(f, "{} (nlist {})", self.kind, self.nlist),
        }
    }
}

/// IVF cells for `rows` rows: pgvector's guidance, rows / 1000 up to a million rows and √rows
/// beyond.
///
/// ```
/// assert_eq!(vecspace_remote::default_nlist(400_000), 400);
/// assert_eq!(vecspace_remote::default_nlist(4_000_000), 2_000);
/// assert_eq!(vecspace_remote::default_nlist(20), 1);
/// ```
pub fn default_nlist(rows: usize) -> usize {
    if rows <= 1_000_000 { (rows / 1000).max(1) } else { (rows as f64).sqrt().round() as usize }
}

/// IVF cells searched per query by default on `backend`: a tenth of them in Milvus, a fifth in
/// pgvector, at least 8 (or all when there are fewer). pgvector trains its k-means on a sample
/// and needs more cells for the same recall: on GloVe 6B 50d with 400 cells, Milvus reaches
/// recall@10 0.995 at 40 and pgvector 0.985 at 80 (docs/PERFORMANCE.md).
///
/// ```
/// use vecspace_remote::{Backend, default_nprobe};
/// assert_eq!(default_nprobe(Backend::Milvus, 400), 40);
/// assert_eq!(default_nprobe(Backend::Pgvector, 400), 80);
/// assert_eq!(default_nprobe(Backend::Milvus, 5), 5);
/// ```
pub fn default_nprobe(backend: Backend, nlist: usize) -> usize {
    let share = match backend {
        Backend::Milvus => 10,
        Backend::Pgvector => 5,
    };
    (nlist / share).max(8).min(nlist.max(1))
}

/// How to search a server's approximate index; ignored by an exact one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SearchParams {
    /// HNSW: the search beam (pgvector `hnsw.ef_search`, Milvus `ef`); raised to the number of
    /// candidates asked for where that is larger.
    pub ef: usize,
    /// IVF: cells searched per query (pgvector `ivfflat.probes`, Milvus `nprobe`); `None` for
    /// [`default_nprobe`] of the server and the collection's cells.
    pub nprobe: Option<usize>,
}

impl Default for SearchParams {
    fn default() -> Self {
        SearchParams { ef: vecspace_core::search::hnsw::DEFAULT_EF, nprobe: None }
    }
}

impl SearchParams {
    fn check(&self) -> Result<()> {
        if self.ef == 0 {
            return Err(Error::InvalidParameter { what: "--ef", reason: "the search beam must be at least 1".into() });
        }
        if self.nprobe == Some(0) {
            return Err(Error::InvalidParameter {
                what: "--nprobe",
                reason: "at least one cell must be searched".into(),
            });
        }
        Ok(())
    }

    /// Cells to search in `backend`'s index of `nlist` cells.
    pub(crate) fn probes(&self, backend: Backend, nlist: usize) -> usize {
        self.nprobe.unwrap_or_else(|| default_nprobe(backend, nlist)).min(nlist.max(1))
    }
}

/// How to push.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PushOptions {
    /// Rows per request (pgvector: per COPY; Milvus: per insert).
    pub batch: usize,
    /// Drop whatever the collection holds and push from the first row, even over another space.
    pub replace: bool,
    /// The index to search the collection with; `None` keeps the one it has (a new collection
    /// gets [`ServerIndex::FLAT`]). A different one replaces it after the rows have landed.
    pub index: Option<ServerIndex>,
    /// Milvus: in-memory copies of the collection for the query nodes to serve (a cluster's read
    /// throughput); `None` keeps the number loaded (1 for a new collection).
    pub replicas: Option<usize>,
}

impl Default for PushOptions {
    fn default() -> Self {
        PushOptions { batch: 5_000, replace: false, index: None, replicas: None }
    }
}

/// What a push did.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PushReport {
    /// Rows the space has.
    pub rows: usize,
    /// Rows the server already held (an earlier, interrupted push).
    pub resumed_from: usize,
    /// Rows sent now.
    pub sent: usize,
    /// The collection's index after the push.
    pub index: ServerIndex,
    /// Seconds the server spent building that index now; `None` when it was there already.
    pub index_seconds: Option<f64>,
    /// Milvus: the replicas the collection is loaded with; `None` for pgvector.
    pub replicas: Option<usize>,
}

/// Uploads `space`'s unit rows to `target` in batches, with progress. Idempotent and resumable:
/// a push of a space the server holds completely sends nothing; an interrupted one continues
/// after the last batch the server committed.
pub fn push(target: &Target, space: &Space, options: &PushOptions, progress: &dyn Progress) -> Result<PushReport> {
    let options = PushOptions { batch: options.batch.max(1), ..*options };
    match options.replicas {
        Some(0) => return Err(Error::InvalidParameter { what: "--replicas", reason: "at least one is needed".into() }),
        Some(_) if target.backend == Backend::Pgvector => {
            return Err(Error::InvalidParameter {
                what: "--replicas",
                reason: "it applies to Milvus; PostgreSQL's read replicas are set up in the server".into(),
            });
        }
        _ => {}
    }
    match target.backend {
        Backend::Pgvector => pgvector::push(target, space, &options, progress),
        Backend::Milvus => milvus::push(target, space, &options, progress),
    }
}

/// A search engine answering from `target`, which must hold `space` completely; it searches with
/// whatever index the collection has, tuned by `params`.
pub fn connect(target: &Target, space: &Space, params: &SearchParams) -> Result<Box<dyn SearchEngine>> {
    params.check()?;
    Ok(match target.backend {
        Backend::Pgvector => Box::new(RemoteEngine(pgvector::PgVector::connect(target, space, params)?)),
        Backend::Milvus => Box::new(RemoteEngine(milvus::Milvus::connect(target, space, params)?)),
    })
}

impl Backend {
    /// The index kinds this server has, for an error that names them.
    fn offers(self) -> &'static str {
        match self {
            Backend::Pgvector => "flat (a sequential scan), hnsw and ivf (ivfflat)",
            Backend::Milvus => "flat, hnsw, ivf (IVF_FLAT) and ivf-sq8",
        }
    }

    /// Refuses an index kind this server lacks.
    pub(crate) fn check_offers(self, kind: IndexKind) -> Result<()> {
        let offered = match self {
            Backend::Pgvector => kind != IndexKind::IvfSq8,
            Backend::Milvus => true,
        };
        if offered {
            Ok(())
        } else {
            Err(Error::UnsupportedIndex { backend: self, index: kind, offers: self.offers() })
        }
    }
}

/// Candidates asked of a server beyond `k`, so that rows whose server-side score differs from
/// the exact one in the last bits still reach the exact re-scoring.
const MARGIN: usize = 10;

/// How long to wait for a server to accept a connection.
pub(crate) const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// What a server contributes to a search: the ids of the rows nearest a unit query.
pub(crate) trait Candidates: Send + Sync + fmt::Debug {
    const NAME: &'static str;

    /// What answers: the server, the collection, its index and how it is searched.
    fn describe(&self) -> String;

    /// The collection's index.
    fn index(&self) -> ServerIndex;

    /// Up to `wanted` rows below `limit` (of `total`), nearest `unit_query` by inner product,
    /// skipping `exclude`.
    fn candidates(
        &self,
        unit_query: &[f32],
        limit: usize,
        total: usize,
        wanted: usize,
        exclude: &[usize],
    ) -> vecspace_core::Result<Vec<usize>>;

    /// [`Candidates::candidates`] for many unit queries (`dims` values each) in one request,
    /// without exclusions (the caller asks for more and removes them).
    fn candidates_batch(
        &self,
        unit_queries: &[f32],
        dims: usize,
        limit: usize,
        total: usize,
        wanted: usize,
    ) -> vecspace_core::Result<Vec<Vec<usize>>>;
}

/// Queries per request of a batch: large enough that the round trip is paid rarely, small enough
/// that several requests run at once and a progress bar moves.
const QUERIES_PER_REQUEST: usize = 256;

/// A server's search as a [`SearchEngine`]: scorings other than cosine on unit rows (the only one
/// stored) are answered by the local exact scan; the server's candidates are scored again exactly.
#[derive(Debug)]
pub(crate) struct RemoteEngine<S>(pub S);

impl<S: Candidates> SearchEngine for RemoteEngine<S> {
    fn name(&self) -> &'static str {
        S::NAME
    }

    fn is_exact(&self) -> bool {
        self.0.index().kind.is_exact()
    }

    fn describe(&self) -> String {
        self.0.describe()
    }

    fn extra_bytes(&self) -> usize {
        0
    }

    fn nearest(
        &self,
        rows: Rows<'_>,
        query: &[f32],
        k: usize,
        scoring: Scoring,
        exclude: &[usize],
    ) -> vecspace_core::Result<Vec<Neighbor>> {
        self.nearest_below(rows, rows.len(), query, k, scoring, exclude)
    }

    fn nearest_batch(
        &self,
        rows: Rows<'_>,
        queries: &[f32],
        k: usize,
        scoring: Scoring,
        exclude: &[Vec<usize>],
    ) -> vecspace_core::Result<Vec<Vec<Neighbor>>> {
        self.nearest_batch_below(rows, rows.len(), queries, k, scoring, exclude)
    }

    /// The queries go to the server `QUERIES_PER_REQUEST` at a time (Milvus: one search with that
    /// many vectors; pgvector: one statement joining them laterally), the requests in parallel.
    /// Each asks for its exclusions' worth more candidates, removed here before the re-scoring.
    fn nearest_batch_below(
        &self,
        rows: Rows<'_>,
        limit: usize,
        queries: &[f32],
        k: usize,
        scoring: Scoring,
        exclude: &[Vec<usize>],
    ) -> vecspace_core::Result<Vec<Vec<Neighbor>>> {
        let total = rows.len();
        let dims = rows.dims;
        let rows = rows.prefix(limit);
        let excluded = |i: usize| exclude.get(i).map_or(&[][..], Vec::as_slice);
        let count = queries.len() / dims.max(1);
        if k == 0 || rows.is_empty() {
            return Ok(vec![Vec::new(); count]);
        }
        let chunks: Vec<Vec<Vec<Neighbor>>> = (0..count.div_ceil(QUERIES_PER_REQUEST))
            .into_par_iter()
            .map(|chunk| {
                let range = chunk * QUERIES_PER_REQUEST..((chunk + 1) * QUERIES_PER_REQUEST).min(count);
                let query = |i: usize| &queries[i * dims..(i + 1) * dims];
                // Queries the server cannot answer (another scoring, no direction) are scanned here.
                let (to_server, here): (Vec<usize>, Vec<usize>) =
                    range.clone().partition(|&i| !needs_exact_scan(scoring, query(i)));
                let mut answers: Vec<Vec<Neighbor>> = vec![Vec::new(); range.len()];
                for i in here {
                    answers[i - range.start] = nearest(rows, query(i), k, scoring, excluded(i));
                }
                if to_server.is_empty() {
                    return Ok(answers);
                }
                let units: Vec<f32> = to_server
                    .iter()
                    .flat_map(|&i| {
                        let norm = vecspace_core::length(query(i));
                        query(i).iter().map(move |x| (f64::from(*x) / norm) as f32)
                    })
                    .collect();
                let most_excluded = to_server.iter().map(|&i| excluded(i).len()).max().unwrap_or(0);
                let found = self.0.candidates_batch(&units, dims, rows.len(), total, k + MARGIN + most_excluded)?;
                if found.len() != to_server.len() {
                    return Err(vecspace_core::Error::Engine {
                        engine: S::NAME,
                        message: format!("the server answered {} of {} queries", found.len(), to_server.len()),
                    });
                }
                for (&i, mut candidates) in to_server.iter().zip(found) {
                    if let Some(&bad) = candidates.iter().find(|&&row| row >= rows.len()) {
                        return Err(beyond(S::NAME, bad, rows.len()));
                    }
                    candidates.retain(|row| !excluded(i).contains(row));
                    answers[i - range.start] = rescore(rows, query(i), k, candidates);
                }
                Ok(answers)
            })
            .collect::<vecspace_core::Result<_>>()?;
        Ok(chunks.into_iter().flatten().collect())
    }

    fn nearest_below(
        &self,
        rows: Rows<'_>,
        limit: usize,
        query: &[f32],
        k: usize,
        scoring: Scoring,
        exclude: &[usize],
    ) -> vecspace_core::Result<Vec<Neighbor>> {
        let total = rows.len();
        let rows = rows.prefix(limit);
        if needs_exact_scan(scoring, query) || k == 0 || rows.is_empty() {
            return Ok(nearest(rows, query, k, scoring, exclude));
        }
        let norm = vecspace_core::length(query);
        let unit: Vec<f32> = query.iter().map(|x| (f64::from(*x) / norm) as f32).collect();
        let candidates = self.0.candidates(&unit, rows.len(), total, k + MARGIN, exclude)?;
        if let Some(&bad) = candidates.iter().find(|&&row| row >= rows.len()) {
            return Err(beyond(S::NAME, bad, rows.len()));
        }
        Ok(rescore(rows, query, k, candidates))
    }
}

/// A server answered with a row outside the ones asked for.
fn beyond(engine: &'static str, row: usize, rows: usize) -> vecspace_core::Error {
    vecspace_core::Error::Engine {
        engine,
        message: format!("the server returned row {row}, beyond the {rows} rows asked for"),
    }
}

/// A URI with its password replaced by `***`, for messages.
pub(crate) fn redact(uri: &str) -> String {
    let Some((scheme, rest)) = uri.split_once("://") else { return uri.to_owned() };
    let Some((credentials, host)) = rest.split_once('@') else { return uri.to_owned() };
    match credentials.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => uri.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_reach_messages() {
        assert_eq!(redact("postgres://postgres:s3cret@127.0.0.1:5432/db"), "postgres://postgres:***@127.0.0.1:5432/db");
        assert_eq!(redact("http://127.0.0.1:19530"), "http://127.0.0.1:19530");
        assert_eq!(redact("http://root@host"), "http://root@host");
    }

    #[test]
    fn a_server_copy_is_checked_before_searching_and_before_pushing() {
        let target = Target::new(Backend::Pgvector, "postgres://postgres:s3cret@127.0.0.1/db", "toy");
        let ours = Identity { rows: 3, dims: 2, fingerprint: "00ff".into() };
        let other = Identity { fingerprint: "0100".into(), ..ours.clone() };
        match target.check_identity(None, &ours) {
            Err(Error::NotPushed { uri, collection, .. }) => {
                assert_eq!(
                    (uri.as_str(), collection.as_str()),
                    ("postgres://postgres:***@127.0.0.1/db", "vecspace_toy")
                );
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(target.check_identity(Some(other.clone()), &ours), Err(Error::OtherSpace { .. })));
        assert!(target.check_identity(Some(ours.clone()), &ours).is_ok());
        assert!(matches!(target.check_complete(2, 3), Err(Error::Incomplete { pushed: 2, rows: 3, .. })));
        assert!(target.check_complete(3, 3).is_ok());
        // A push starts afresh over nothing or over what it replaces, resumes its own space, and
        // leaves another one alone.
        assert_eq!(target.push_afresh(None, &ours, false).ok(), Some(true));
        assert_eq!(target.push_afresh(Some(&ours), &ours, false).ok(), Some(false));
        assert!(matches!(target.push_afresh(Some(&other), &ours, false), Err(Error::OtherSpace { .. })));
        assert_eq!(target.push_afresh(Some(&other), &ours, true).ok(), Some(true));
        assert_eq!(target.push_afresh(Some(&ours), &ours, true).ok(), Some(true));
    }

    #[test]
    fn collection_names_are_plain_identifiers() {
        assert_eq!(collection_name("smollm2-135m:embeddings"), "vecspace_smollm2_135m_embeddings");
        assert_eq!(collection_name("GloVe.6B"), "vecspace_glove_6b");
        assert_eq!("postgres".parse::<Backend>(), Ok(Backend::Pgvector));
        assert_eq!("milvus".parse::<Backend>(), Ok(Backend::Milvus));
        assert!("mongo".parse::<Backend>().unwrap_err().contains("pgvector"));
    }
}

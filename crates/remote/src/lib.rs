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

/// How to push.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PushOptions {
    /// Rows per request (pgvector: per COPY; Milvus: per insert).
    pub batch: usize,
    /// Drop whatever the collection holds and push from the first row, even over another space.
    pub replace: bool,
}

impl Default for PushOptions {
    fn default() -> Self {
        PushOptions { batch: 5_000, replace: false }
    }
}

/// What a push did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PushReport {
    /// Rows the space has.
    pub rows: usize,
    /// Rows the server already held (an earlier, interrupted push).
    pub resumed_from: usize,
    /// Rows sent now.
    pub sent: usize,
}

/// Uploads `space`'s unit rows to `target` in batches, with progress. Idempotent and resumable:
/// a push of a space the server holds completely sends nothing; an interrupted one continues
/// after the last batch the server committed.
pub fn push(target: &Target, space: &Space, options: &PushOptions, progress: &dyn Progress) -> Result<PushReport> {
    let options = PushOptions { batch: options.batch.max(1), ..*options };
    match target.backend {
        Backend::Pgvector => pgvector::push(target, space, &options, progress),
        Backend::Milvus => milvus::push(target, space, &options, progress),
    }
}

/// A search engine answering from `target`, which must hold `space` completely.
pub fn connect(target: &Target, space: &Space) -> Result<Box<dyn SearchEngine>> {
    Ok(match target.backend {
        Backend::Pgvector => Box::new(RemoteEngine(pgvector::PgVector::connect(target, space)?)),
        Backend::Milvus => Box::new(RemoteEngine(milvus::Milvus::connect(target, space)?)),
    })
}

/// Candidates asked of a server beyond `k`, so that rows whose server-side score differs from
/// the exact one in the last bits still reach the exact re-scoring.
const MARGIN: usize = 10;

/// How long to wait for a server to accept a connection.
pub(crate) const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// What a server contributes to a search: the ids of the rows nearest a unit query.
pub(crate) trait Candidates: Send + Sync + fmt::Debug {
    const NAME: &'static str;

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
}

/// A server's search as a [`SearchEngine`]: scorings other than cosine on unit rows (the only one
/// stored) are answered by the local exact scan; the server's candidates are scored again exactly.
#[derive(Debug)]
pub(crate) struct RemoteEngine<S>(pub S);

impl<S: Candidates> SearchEngine for RemoteEngine<S> {
    fn name(&self) -> &'static str {
        S::NAME
    }

    fn is_exact(&self) -> bool {
        true
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
            return Err(vecspace_core::Error::Engine {
                engine: S::NAME,
                message: format!("the server returned row {bad}, beyond the {} rows asked for", rows.len()),
            });
        }
        Ok(rescore(rows, query, k, candidates))
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

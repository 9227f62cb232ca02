//! Milvus through its official Rust SDK (gRPC): one collection per space with an explicit `id`
//! (INT64 primary key = row), `word` and `vector` (the unit row), and an index under the inner
//! product: FLAT (Milvus's exact search) when the collection is made, replaced after the rows have
//! landed by HNSW, IVF_FLAT or IVF_SQ8 when `push --server-index` asks. The space's identity is
//! kept in the collection's description (its properties do not survive a restart in 2.3).

use std::collections::HashMap;
use std::time::Duration;

use milvus::client::{Client, ClientBuilder, ConsistencyLevel};
use milvus::data::FieldColumn;
use milvus::index::{IndexParams, IndexType, MetricType};
use milvus::mutate::DeleteOptions;
use milvus::options::{CreateCollectionOptions, LoadOptions};
use milvus::proto::common::LoadState;
use milvus::query::{QueryOptions, SearchOptions};
use milvus::schema::{CollectionSchemaBuilder, FieldSchema};
use milvus::value::{Value, ValueVec};
use tokio::runtime::Runtime;
use vecspace_core::Space;
use vecspace_core::progress::{Progress, Unit};

use crate::{
    Backend, CONNECT_TIMEOUT, Candidates, Error, Identity, IndexKind, PushOptions, PushReport, Result, SearchParams,
    ServerIndex, Target, redact,
};

const BACKEND: Backend = Backend::Milvus;

/// Longest word stored (bytes); Milvus's VARCHAR limit.
const MAX_WORD: i32 = 65_535;

/// Per-call deadline: a count under strong consistency waits for every write to be visible.
const CALL_TIMEOUT: Duration = Duration::from_secs(60);

/// A space's collection on a Milvus server, searched there.
pub(crate) struct Milvus {
    /// The SDK is asynchronous; its client must be driven by the runtime it was built in. One
    /// worker thread is enough: calls block on it from any thread.
    runtime: Runtime,
    client: Client,
    collection: String,
    uri: String,
    index: ServerIndex,
    /// The search parameter the index takes (`ef`, `nprobe`) and its value, if any.
    tuning: Option<(&'static str, usize)>,
    /// In-memory copies the query nodes serve.
    replicas: usize,
}

impl std::fmt::Debug for Milvus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Milvus")
            .field("uri", &self.uri)
            .field("collection", &self.collection)
            .field("index", &self.index)
            .finish()
    }
}

/// The server address and credentials in `http://USER:PASSWORD@HOST:PORT`.
struct Address {
    endpoint: String,
    credentials: Option<(String, String)>,
}

fn parse(uri: &str) -> Result<Address> {
    let invalid = |reason: &str| Error::InvalidUri { backend: BACKEND, uri: redact(uri), reason: reason.to_owned() };
    let (scheme, rest) = uri.split_once("://").ok_or_else(|| invalid("expected http://[USER:PASSWORD@]HOST:PORT"))?;
    if scheme != "http" && scheme != "https" {
        return Err(invalid("the scheme must be http or https"));
    }
    let (credentials, host) = match rest.split_once('@') {
        Some((user_password, host)) => {
            let (user, password) =
                user_password.split_once(':').ok_or_else(|| invalid("credentials must be USER:PASSWORD"))?;
            (Some((user.to_owned(), password.to_owned())), host)
        }
        None => (None, rest),
    };
    let host = host.trim_end_matches('/');
    if host.is_empty() || host.contains('/') {
        return Err(invalid("expected HOST:PORT after the scheme"));
    }
    Ok(Address { endpoint: format!("{scheme}://{host}"), credentials })
}

/// The SDK's error, classified: refused credentials, an unreachable server, or anything else.
fn classify(uri: &str, error: &milvus::error::Error) -> Error {
    let message = error.to_string();
    let uri = redact(uri);
    if message.contains("Unauthenticated") || message.contains("auth check failure") {
        Error::Auth { backend: BACKEND, uri, message: "authentication failed: check the user and password".into() }
    } else if ["ConnectionRefused", "tcp connect error", "Connection refused", "Timeout expired", "transport error"]
        .iter()
        .any(|sign| message.contains(sign))
    {
        Error::Unreachable { backend: BACKEND, uri, message }
    } else {
        Error::Server { backend: BACKEND, uri, message }
    }
}

struct Session {
    runtime: Runtime,
    client: Client,
    uri: String,
}

impl Session {
    fn open(uri: &str) -> Result<Session> {
        let address = parse(uri)?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .map_err(|e| Error::Server { backend: BACKEND, uri: redact(uri), message: e.to_string() })?;
        let mut builder = ClientBuilder::new(address.endpoint.clone()).timeout(CALL_TIMEOUT);
        if let Some((user, password)) = &address.credentials {
            builder = builder.username(user).password(password);
        }
        let client = runtime
            .block_on(async { tokio::time::timeout(CONNECT_TIMEOUT, builder.build()).await })
            .map_err(|_| Error::Unreachable {
                backend: BACKEND,
                uri: redact(uri),
                message: format!("no answer in {} s", CONNECT_TIMEOUT.as_secs()),
            })?
            .map_err(|e| classify(uri, &e))?;
        Ok(Session { runtime, client, uri: uri.to_owned() })
    }

    fn call<T>(&self, future: impl Future<Output = milvus::error::Result<T>>) -> Result<T> {
        self.runtime.block_on(future).map_err(|e| classify(&self.uri, &e))
    }

    /// The recorded identity of `collection`, if it exists.
    fn recorded(&self, collection: &str) -> Result<Option<Identity>> {
        if !self.call(self.client.has_collection(collection))? {
            return Ok(None);
        }
        let described = self.call(self.client.describe_collection(collection))?;
        Ok(Some(parse_identity(&described.schema.description).unwrap_or(Identity {
            rows: 0,
            dims: 0,
            fingerprint: format!("not made by vecspace: {:?}", described.schema.description),
        })))
    }

    /// Rows matching `filter`, counted once every acknowledged write is visible.
    fn count(&self, collection: &str, filter: &str) -> Result<usize> {
        let options = QueryOptions::new()
            .output_fields(vec!["count(*)".to_owned()])
            .consistency_level(ConsistencyLevel::Strong as i32);
        let columns = self.call(self.client.query(collection, filter, &options))?;
        match columns.first().map(|c| &c.value) {
            Some(ValueVec::Long(counts)) if counts.len() == 1 => Ok(counts[0].max(0) as usize),
            other => Err(Error::Server {
                backend: BACKEND,
                uri: redact(&self.uri),
                message: format!("unexpected count(*) answer: {other:?}"),
            }),
        }
    }
}

/// The vector field's index, named after its kind (`vector_flat`, `vector_hnsw`, …).
fn index_name(kind: IndexKind) -> String {
    format!("vector_{}", kind.name().replace('-', "_"))
}

impl Session {
    /// The vector field's index: its name and what it is.
    fn index(&self, collection: &str) -> Result<Option<(String, ServerIndex)>> {
        let described = self.call(self.client.describe_index(collection, "vector"))?;
        let Some(info) = described.first() else { return Ok(None) };
        let params = info.params().params();
        let number = |key: &str| params.get(key).and_then(|v| v.parse().ok()).unwrap_or(0);
        let kind = match info.params().index_type() {
            IndexType::Flat => IndexKind::Flat,
            IndexType::HNSW => IndexKind::Hnsw,
            IndexType::IvfFlat => IndexKind::Ivf,
            IndexType::IvfSQ8 => IndexKind::IvfSq8,
            other => {
                return Err(Error::Server {
                    backend: BACKEND,
                    uri: redact(&self.uri),
                    message: format!("{collection} has an index vecspace does not search with: {other}"),
                });
            }
        };
        let index = match kind {
            IndexKind::Flat => ServerIndex::FLAT,
            IndexKind::Hnsw => {
                ServerIndex { kind, m: number("M"), ef_construction: number("efConstruction"), nlist: 0 }
            }
            IndexKind::Ivf | IndexKind::IvfSq8 => {
                ServerIndex { kind, m: 0, ef_construction: 0, nlist: number("nlist") }
            }
        };
        Ok(Some((info.index_name().to_owned(), index)))
    }

    /// In-memory copies of the collection the query nodes serve (0 when it is not loaded). A
    /// collection Milvus is still loading (after a restart it reloads in the background) is
    /// waited for; one it reports loaded but cannot describe yet counts as not loaded.
    fn replicas(&self, collection: &str) -> Result<usize> {
        let started = std::time::Instant::now();
        loop {
            match self.call(self.client.get_load_state(collection, None))? {
                LoadState::Loading if started.elapsed() < CALL_TIMEOUT => {
                    std::thread::sleep(Duration::from_millis(200));
                }
                LoadState::Loaded => {
                    return match self.runtime.block_on(self.client.describe_replicas(collection, "")) {
                        Ok(replicas) => Ok(replicas.len()),
                        Err(error) if error.to_string().contains("not loaded") => Ok(0),
                        Err(error) => Err(classify(&self.uri, &error)),
                    };
                }
                _ => return Ok(0),
            }
        }
    }

    /// Loads the collection for search with `replicas` copies, or as many as it has (at least
    /// one), and waits until it is; a collection loaded with another number is released first
    /// (Milvus 2.3 cannot change it in place). A cluster's operator may have loaded more
    /// replicas than one for throughput; a plain connect keeps them.
    fn load(&self, collection: &str, replicas: Option<usize>) -> Result<usize> {
        let loaded = self.replicas(collection)?;
        let wanted = replicas.unwrap_or(loaded.max(1));
        if loaded != 0 && loaded != wanted {
            self.call(self.client.release_collection(collection))?;
        }
        let options = LoadOptions::with_replica_number(wanted as i32);
        self.call(self.client.load_collection(collection, Some(options)))?;
        Ok(wanted)
    }

    /// Builds `index` over the vector field, replacing `existing`: the collection is released
    /// while it changes and loaded again after. Milvus builds it in the background; the SDK's
    /// call returns once every sealed segment has it.
    fn build_index(&self, collection: &str, existing: Option<&str>, index: &ServerIndex) -> Result<()> {
        let (kind, params) = match index.kind {
            IndexKind::Flat => (IndexType::Flat, HashMap::new()),
            IndexKind::Hnsw => (
                IndexType::HNSW,
                HashMap::from([
                    ("M".to_owned(), index.m.to_string()),
                    ("efConstruction".to_owned(), index.ef_construction.to_string()),
                ]),
            ),
            IndexKind::Ivf => (IndexType::IvfFlat, HashMap::from([("nlist".to_owned(), index.nlist.to_string())])),
            IndexKind::IvfSq8 => (IndexType::IvfSQ8, HashMap::from([("nlist".to_owned(), index.nlist.to_string())])),
        };
        let replicas = self.replicas(collection)?;
        if let Some(name) = existing {
            self.call(self.client.release_collection(collection))?;
            self.call(self.client.drop_index(collection, name))?;
        }
        let params = IndexParams::new(index_name(index.kind), kind, MetricType::IP, params);
        self.call(self.client.create_index(collection, "vector", params))?;
        self.load(collection, Some(replicas.max(1))).map(drop)
    }
}

fn describe_identity(identity: &Identity) -> String {
    format!("vecspace rows={} dims={} fingerprint={}", identity.rows, identity.dims, identity.fingerprint)
}

fn parse_identity(description: &str) -> Option<Identity> {
    let mut fields = description.strip_prefix("vecspace ")?.split(' ');
    let mut value = |key: &str| fields.next()?.strip_prefix(key)?.strip_prefix('=').map(str::to_owned);
    let rows = value("rows")?.parse().ok()?;
    let dims = value("dims")?.parse().ok()?;
    let fingerprint = value("fingerprint")?;
    Some(Identity { rows, dims, fingerprint })
}

fn fields(dims: usize) -> [FieldSchema; 3] {
    [
        FieldSchema::new_primary_int64("id", "row of the space", false),
        FieldSchema::new_varchar("word", "", MAX_WORD),
        FieldSchema::new_float_vector("vector", "unit row", dims as i64),
    ]
}

/// The first row not on the server: the pushed rows are `0..n` plus, after an interruption, part
/// of the batch that was in flight. Binary search on "all of `0..x` are there".
fn first_missing(session: &Session, collection: &str, present: usize, rows: usize) -> Result<usize> {
    if present == 0 || session.count(collection, &format!("id < {present}"))? == present {
        return Ok(present.min(rows));
    }
    let (mut complete, mut incomplete) = (0, present);
    while incomplete - complete > 1 {
        let middle = (complete + incomplete) / 2;
        if session.count(collection, &format!("id < {middle}"))? == middle {
            complete = middle;
        } else {
            incomplete = middle;
        }
    }
    Ok(complete)
}

pub(crate) fn push(
    target: &Target,
    space: &Space,
    options: &PushOptions,
    progress: &dyn Progress,
) -> Result<PushReport> {
    let session = Session::open(&target.uri)?;
    let collection = target.collection.as_str();
    let ours = Identity::of(space);
    let on_server = session.recorded(collection)?;
    let fresh = target.push_afresh(on_server.as_ref(), &ours, options.replace)?;
    if fresh && on_server.is_some() {
        session.call(session.client.drop_collection(collection))?;
    }
    let [id, word, vector] = fields(ours.dims);
    if fresh {
        let schema = CollectionSchemaBuilder::new(collection, &describe_identity(&ours))
            .add_field(id.clone())
            .add_field(word.clone())
            .add_field(vector.clone())
            .build()
            .map_err(|e| classify(&target.uri, &e))?;
        let create = CreateCollectionOptions::with_consistency_level(ConsistencyLevel::Bounded);
        session.call(session.client.create_collection(schema, Some(create)))?;
        // FLAT while the rows land: a collection must have an index to be loaded and counted,
        // and FLAT costs nothing to keep up to date.
        session.build_index(collection, None, &ServerIndex::FLAT)?;
    }
    let replicas = session.load(collection, options.replicas)?;
    let present = session.count(collection, "id >= 0")?;
    let resumed_from = first_missing(&session, collection, present, space.len())?;
    if present > resumed_from {
        // Part of the batch in flight when the last push stopped: remove it, then send it whole.
        let stray = DeleteOptions::with_filter(format!("id >= {resumed_from}"));
        session.call(session.client.delete(collection, &stray))?;
    }
    progress.start(&format!("pushing to {collection}"), Some(space.len() as u64), Unit::Items);
    progress.advance(resumed_from as u64);
    let mut start = resumed_from;
    while start < space.len() {
        let end = (start + options.batch).min(space.len());
        let ids: Vec<i64> = (start as i64..end as i64).collect();
        let words: Vec<String> = (start..end).map(|row| space.word(row).to_owned()).collect();
        let vectors: Vec<f32> = (start..end).flat_map(|row| space.unit_vector(row)).collect();
        let columns =
            vec![FieldColumn::new(&id, ids), FieldColumn::new(&word, words), FieldColumn::new(&vector, vectors)];
        session.call(session.client.insert(collection, columns, None))?;
        progress.advance((end - start) as u64);
        start = end;
    }
    progress.finish();
    if resumed_from < space.len() {
        // Seal the growing segments so that searches use the index rather than raw scans.
        session.call(session.client.flush(collection))?;
    }
    let existing = session.index(collection)?;
    let current = existing.as_ref().map_or(ServerIndex::FLAT, |(_, index)| *index);
    let wanted = options.index.unwrap_or(current);
    let index_seconds = if wanted != current || existing.is_none() {
        let started = std::time::Instant::now();
        progress.start(&format!("building the {} index on the server", wanted.kind), None, Unit::Items);
        let built = session.build_index(collection, existing.as_ref().map(|(name, _)| name.as_str()), &wanted);
        progress.finish();
        built?;
        Some(started.elapsed().as_secs_f64())
    } else {
        None
    };
    Ok(PushReport {
        rows: space.len(),
        resumed_from,
        sent: space.len() - resumed_from,
        index: wanted,
        index_seconds,
        replicas: Some(replicas),
    })
}

impl Milvus {
    /// Connects to the server that holds `space` in `target`'s collection, after checking that the
    /// collection holds exactly this space, completely, and that it is loaded for search.
    pub(crate) fn connect(target: &Target, space: &Space, params: &SearchParams) -> Result<Milvus> {
        let session = Session::open(&target.uri)?;
        let collection = target.collection.as_str();
        target.check_identity(session.recorded(collection)?, &Identity::of(space))?;
        let index = session.index(collection)?.map_or(ServerIndex::FLAT, |(_, index)| index);
        // After a server restart a collection is reloaded in the background; loading waits.
        let replicas = session.load(collection, None)?;
        target.check_complete(session.count(collection, "id >= 0")?, space.len())?;
        let tuning = match index.kind {
            IndexKind::Flat => None,
            IndexKind::Hnsw => Some(("ef", params.ef)),
            IndexKind::Ivf | IndexKind::IvfSq8 => Some(("nprobe", params.probes(BACKEND, index.nlist))),
        };
        let Session { runtime, client, uri } = session;
        Ok(Milvus { runtime, client, collection: collection.to_owned(), uri: redact(&uri), index, tuning, replicas })
    }
}

impl Candidates for Milvus {
    const NAME: &'static str = "milvus";

    fn describe(&self) -> String {
        let search = match self.tuning {
            None => "its exact FLAT index".to_owned(),
            Some((name, value)) => format!("index {} searched with {name} {value}", self.index),
        };
        let copies = if self.replicas == 1 { "1 replica".to_owned() } else { format!("{} replicas", self.replicas) };
        format!("milvus at {}, collection {} ({copies}): {search}", self.uri, self.collection)
    }

    fn index(&self) -> ServerIndex {
        self.index
    }

    fn candidates(
        &self,
        unit_query: &[f32],
        limit: usize,
        total: usize,
        wanted: usize,
        exclude: &[usize],
    ) -> vecspace_core::Result<Vec<usize>> {
        let mut found = self.search(unit_query.chunks_exact(unit_query.len().max(1)), limit, total, wanted, exclude)?;
        Ok(found.pop().unwrap_or_default())
    }

    fn candidates_batch(
        &self,
        unit_queries: &[f32],
        dims: usize,
        limit: usize,
        total: usize,
        wanted: usize,
    ) -> vecspace_core::Result<Vec<Vec<usize>>> {
        self.search(unit_queries.chunks_exact(dims), limit, total, wanted, &[])
    }
}

impl Milvus {
    /// One search request for all of `queries` (Milvus's `nq`): the rows nearest each, below
    /// `limit` and outside `exclude`.
    fn search<'q>(
        &self,
        queries: impl Iterator<Item = &'q [f32]>,
        limit: usize,
        total: usize,
        wanted: usize,
        exclude: &[usize],
    ) -> vecspace_core::Result<Vec<Vec<usize>>> {
        let mut conditions = Vec::new();
        if limit < total {
            conditions.push(format!("id < {limit}"));
        }
        if !exclude.is_empty() {
            let list: Vec<String> = exclude.iter().map(usize::to_string).collect();
            conditions.push(format!("id not in [{}]", list.join(",")));
        }
        let mut options = SearchOptions::new().limit(wanted);
        match self.tuning {
            // Milvus refuses a beam narrower than the results asked for.
            Some(("ef", ef)) => options = options.add_param("ef", ef.max(wanted).to_string()),
            Some((name, value)) => options = options.add_param(name, value.to_string()),
            None => {}
        }
        if !conditions.is_empty() {
            options = options.filter(conditions.join(" and "));
        }
        let failed = |message: String| vecspace_core::Error::Engine {
            engine: Self::NAME,
            message: format!("{}: {message}", self.uri),
        };
        let data: Vec<Value> = queries.map(|q| Value::FloatArray(q.to_vec().into())).collect();
        let asked = data.len();
        let results = self
            .runtime
            .block_on(self.client.search(self.collection.as_str(), data, Some(options)))
            .map_err(|e| failed(e.to_string()))?;
        if results.len() != asked {
            return Err(failed(format!("{} answers to {asked} queries", results.len())));
        }
        results
            .iter()
            .map(|result| {
                result
                    .id
                    .iter()
                    .map(|id| match id {
                        Value::Long(id) if *id >= 0 => Ok(*id as usize),
                        other => Err(failed(format!("unexpected id {other:?}"))),
                    })
                    .collect()
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identities_round_trip_through_descriptions() {
        let identity = Identity { rows: 400_000, dims: 50, fingerprint: "00ff".into() };
        assert_eq!(parse_identity(&describe_identity(&identity)), Some(identity));
        assert_eq!(parse_identity("made by hand"), None);
    }

    #[test]
    fn addresses_take_credentials_apart() {
        let address = parse("http://root:Milvus@127.0.0.1:19530").ok().unwrap();
        assert_eq!(address.endpoint, "http://127.0.0.1:19530");
        assert_eq!(address.credentials, Some(("root".into(), "Milvus".into())));
        assert!(parse("http://127.0.0.1:19530/").ok().unwrap().credentials.is_none());
        for bad in ["127.0.0.1:19530", "grpc://host:1", "http://root@host:1", "http://"] {
            assert!(matches!(parse(bad), Err(Error::InvalidUri { .. })), "{bad}");
        }
    }
}

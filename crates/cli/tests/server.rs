//! The HTTP API against a running server: `vecspace serve` spawned on a free loopback port, spoken
//! to over plain HTTP/1.1.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};

use crate::support::glove;

/// A running `vecspace serve`, stopped (SIGTERM) when dropped.
pub struct Server {
    child: Child,
    pub addr: String,
}

impl Server {
    pub fn start(extra: &[&str]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_vecspace"))
            .args(["--space", glove().to_str().unwrap(), "serve", "--addr", "127.0.0.1:0"])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary runs");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let addr = line.trim().strip_prefix("listening on http://").unwrap_or_else(|| panic!("{line:?}")).to_owned();
        Server { child, addr }
    }

    pub fn request(&self, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Response {
        request(&self.addr, method, path, headers, body)
    }

    pub fn post(&self, path: &str, json: serde_json::Value) -> Response {
        self.request("POST", path, &[("content-type", "application/json")], json.to_string().as_bytes())
    }

    pub fn get(&self, path: &str) -> Response {
        self.request("GET", path, &[], b"")
    }

    /// SIGTERM, then the exit status and what the server printed on stderr.
    pub fn stop(mut self) -> (i32, String) {
        Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status().unwrap();
        let status = self.child.wait().unwrap();
        let mut stderr = String::new();
        self.child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
        (status.code().unwrap_or(-1), stderr)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|_| panic!("not JSON ({}): {}", self.status, self.text()))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// Asserts a JSON error with this status and code.
    pub fn error(&self, status: u16, code: &str) {
        assert_eq!(self.status, status, "{}", self.text());
        assert_eq!(self.json()["code"], code, "{}", self.text());
    }
}

/// One HTTP/1.1 request on its own connection; handles Content-Length and chunked bodies.
pub fn request(addr: &str, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Response {
    let mut stream = TcpStream::connect(addr).unwrap();
    let mut head =
        format!("{method} {path} HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\ncontent-length: {}\r\n", body.len());
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(body).unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("a header block");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.lines();
    let status: u16 = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
    let headers: Vec<(String, String)> =
        lines.filter_map(|l| l.split_once(": ").map(|(k, v)| (k.to_owned(), v.to_owned()))).collect();
    let mut rest = &raw[split + 4..];
    let chunked = headers.iter().any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
    let body = if chunked {
        let mut body = Vec::new();
        loop {
            let end = rest.windows(2).position(|w| w == b"\r\n").unwrap();
            let size = usize::from_str_radix(std::str::from_utf8(&rest[..end]).unwrap().trim(), 16).unwrap();
            if size == 0 {
                break;
            }
            body.extend_from_slice(&rest[end + 2..end + 2 + size]);
            rest = &rest[end + 2 + size + 2..];
        }
        body
    } else {
        rest.to_vec()
    };
    Response { status, headers, body }
}

#[test]
fn word_queries_answer_in_json_with_meaningful_statuses() {
    let server = Server::start(&[]);
    let answer = server.post("/api/query", serde_json::json!({"expression": "king - man + woman", "k": 3})).json();
    assert_eq!(answer["results"][0]["word"], "queen");
    assert!((answer["results"][0]["score"].as_f64().unwrap() - 0.8524).abs() < 1e-4);
    // The same answer again comes from the cache, identical.
    assert_eq!(
        server.post("/api/query", serde_json::json!({"expression": "king - man + woman", "k": 3})).json(),
        answer
    );
    let value = server.post("/api/query", serde_json::json!({"expression": "cos(cat, dog)"})).json();
    assert!((value["value"].as_f64().unwrap() - 0.9218).abs() < 1e-3, "{value}");
    let analogy =
        server.post("/api/analogy", serde_json::json!({"a": "man", "b": "king", "c": "woman", "method": "mul"})).json();
    assert_eq!(analogy["results"][0]["word"], "queen");
    assert_eq!(analogy["method"], "mul");
    let similarity = server.post("/api/similarity", serde_json::json!({"a": "cat", "b": "dog"})).json();
    assert!((similarity["similarity"].as_f64().unwrap() - 0.9218).abs() < 1e-3);
    let plot = server.post("/api/plot", serde_json::json!({"words": ["king", "queen", "man", "woman"]})).json();
    assert_eq!(plot["points"].as_array().unwrap().len(), 4);
    assert!(plot["axes"][0].as_str().unwrap().starts_with("PC1"));
    let axes = server
        .post(
            "/api/plot",
            serde_json::json!({"words": ["he", "she", "king", "queen"], "axes": ["he - she", "good - bad"]}),
        )
        .json();
    let x = |i: usize| axes["points"][i]["x"].as_f64().unwrap();
    assert!(x(0) > x(1) && x(2) > x(3), "{axes}");
    let spaces = server.get("/api/spaces").json();
    assert_eq!(spaces[0]["words"], 400_000);
    let fetch = server.get("/api/fetch").json();
    assert!(fetch.as_array().unwrap().iter().any(|e| e["name"] == "glove-6b-50d" && e["cached"] == true));
    // Errors: JSON with a stable code and the matching status.
    server.post("/api/query", serde_json::json!({"expression": "kingg"})).error(404, "unknown_word");
    server.post("/api/query", serde_json::json!({"expression": "king +"})).error(400, "bad_expression");
    server.post("/api/query", serde_json::json!({"expression": "king", "space": "nope"})).error(404, "unknown_space");
    server.post("/api/query", serde_json::json!({"expression": "king", "k": 100_000})).error(413, "too_large");
    server.post("/api/query", serde_json::json!({"expression": "a+".repeat(2000) + "a"})).error(413, "too_large");
    let deep = "(".repeat(400) + "king" + &")".repeat(400);
    server.post("/api/query", serde_json::json!({"expression": deep})).error(400, "bad_expression");
    server.post("/api/query", serde_json::json!({"expresion": "king"})).error(400, "bad_request");
    let huge = vec![b'x'; 200_000];
    server.request("POST", "/api/query", &[("content-type", "application/json")], &huge).error(413, "too_large");
    server
        .request("POST", "/api/query", &[("content-type", "application/json")], b"{not json")
        .error(400, "bad_request");
}

#[test]
fn the_openapi_document_covers_every_route() {
    let server = Server::start(&[]);
    let spec = server.get("/openapi.json").json();
    assert_eq!(spec["openapi"], "3.1.0");
    let paths = spec["paths"].as_object().unwrap();
    assert!(paths.len() >= 15);
    for (path, operations) in paths {
        for method in operations.as_object().unwrap().keys() {
            let concrete = path.replace("{id}", "424242");
            let response =
                if method == "get" { server.get(&concrete) } else { server.post(&concrete, serde_json::json!({})) };
            // Routed: either an answer, or one of our JSON errors (axum's own 404/405 are empty).
            let ours = response.status == 200 || response.json().get("code").is_some();
            assert!(ours, "{method} {path}: {} {}", response.status, response.text());
        }
    }
    let unknown = server.get("/api/no-such-thing");
    assert_eq!(unknown.status, 404);
    assert!(unknown.body.is_empty() || serde_json::from_slice::<serde_json::Value>(&unknown.body).is_err());
}

#[test]
fn a_token_guards_the_api_and_cors_is_off_unless_asked() {
    let server = Server::start(&["--token", "s3cret", "--cors-origin", "http://example.test"]);
    let query = serde_json::json!({"expression": "king", "k": 1}).to_string();
    let json = ("content-type", "application/json");
    server.request("POST", "/api/query", &[json], query.as_bytes()).error(401, "unauthorized");
    server
        .request("POST", "/api/query", &[json, ("authorization", "Bearer wrong!")], query.as_bytes())
        .error(401, "unauthorized");
    let ok = server.request("POST", "/api/query", &[json, ("authorization", "Bearer s3cret")], query.as_bytes());
    assert_eq!(ok.status, 200, "{}", ok.text());
    // The page itself needs no token; it asks for one.
    let page = server.get("/");
    assert_eq!(page.status, 200);
    assert!(page.text().contains("id=\"token\""));
    // CORS answers only the allowed origin.
    let allowed = server.request(
        "OPTIONS",
        "/api/query",
        &[("origin", "http://example.test"), ("access-control-request-method", "POST")],
        b"",
    );
    assert_eq!(allowed.status, 204);
    assert_eq!(allowed.header("access-control-allow-origin"), Some("http://example.test"));
    let other = server.request(
        "POST",
        "/api/query",
        &[json, ("authorization", "Bearer s3cret"), ("origin", "http://evil.test")],
        query.as_bytes(),
    );
    assert_eq!(other.header("access-control-allow-origin"), None);
    let (code, stderr) = server.stop();
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("stopped"), "{stderr}");
}

#[test]
fn directions_and_jobs_over_the_api() {
    let server = Server::start(&[]);
    let name = format!("api_gender_{}", std::process::id());
    let built = server.post(
        "/api/directions",
        serde_json::json!({"name": name, "pairs": [["he", "she"], ["man", "woman"], ["king", "queen"]]}),
    );
    assert_eq!(built.status, 201, "{}", built.text());
    let along =
        server.post("/api/along", serde_json::json!({"direction": name, "words": ["nurse", "engineer"]})).json();
    assert_eq!(along[0]["word"], "nurse", "{along}");
    let listed = server.get("/api/directions").json();
    assert!(listed.as_array().unwrap().iter().any(|d| d["name"] == name.as_str()));
    let used = server.post("/api/query", serde_json::json!({"expression": format!("king + @{name}"), "k": 1})).json();
    assert_eq!(used["results"][0]["word"], "queen", "{used}");
    // Names cannot reach outside the cache.
    server
        .post("/api/directions", serde_json::json!({"name": "../../etc/x", "pairs": [["he", "she"]]}))
        .error(400, "bad_request");
    server.post("/api/along", serde_json::json!({"direction": "../secret", "words": ["a"]})).error(400, "bad_request");
    server
        .post("/api/along", serde_json::json!({"direction": "no-such-direction", "words": ["a"]}))
        .error(404, "unknown_direction");
    std::fs::remove_file(vecspace::fetch::Cache::from_env().unwrap().direction_path(&name)).unwrap();
    // An evaluation as a job: accepted at once, then polled to its result.
    let started = server.post(
        "/api/jobs",
        serde_json::json!({"kind": "analogies", "set": "google-analogies", "restrict_vocab": 30000}),
    );
    assert_eq!(started.status, 202, "{}", started.text());
    let id = started.json()["id"].as_u64().unwrap();
    let result = loop {
        let status = server.get(&format!("/api/jobs/{id}")).json();
        match status["state"].as_str().unwrap() {
            "running" => std::thread::sleep(std::time::Duration::from_millis(200)),
            "done" => break status,
            other => panic!("{other}: {status}"),
        }
    };
    // The same evaluation as the command line.
    let cli =
        crate::support::on_glove(&["--json", "eval", "analogies", "google-analogies", "--restrict-vocab", "30000"])
            .json();
    assert_eq!(result["result"]["correct"], cli["correct"], "{result} {cli}");
    assert_eq!(result["done"], result["total"]);
    server.post("/api/jobs", serde_json::json!({"kind": "analogies", "set": "../../x"})).error(404, "unknown_set");
    server.get("/api/jobs/999999").error(404, "unknown_job");
}

#[test]
fn faces_and_the_language_model_over_the_api() {
    let server = Server::start(&["--heavy", "1"]);
    let png = server.post(
        "/api/faces/render",
        serde_json::json!({"latents": ["seed:1", "slerp(seed:1, seed:2, 0.5)"], "scale": 1}),
    );
    assert_eq!(png.status, 200, "{}", png.text());
    assert_eq!(png.header("content-type"), Some("image/png"));
    assert_eq!(&png.body[..8], b"\x89PNG\r\n\x1a\n");
    let edit = server.post(
        "/api/faces/edit",
        serde_json::json!({"latent": "seed:40", "positive": [0, 4, 8], "negative": [5, 6, 7], "strengths": [-3, 0, 3]}),
    );
    assert_eq!(edit.status, 200, "{}", edit.text());
    let frames =
        server.post("/api/faces/interpolate", serde_json::json!({"from": "seed:1", "to": "seed:2", "steps": 4}));
    assert_eq!(frames.status, 200);
    server.post("/api/faces/render", serde_json::json!({"latents": ["face"]})).error(400, "bad_expression");
    server.post("/api/faces/render", serde_json::json!({"latents": vec!["seed:1"; 65]})).error(413, "too_large");
    server
        .post("/api/faces/render", serde_json::json!({"latents": ["seed:1"], "model": "stylegan"}))
        .error(404, "unknown_model");
    server
        .post(
            "/api/faces/edit",
            serde_json::json!({"latent": "seed:1", "positive": [], "negative": [1], "strengths": [1]}),
        )
        .error(400, "bad_request");

    // Generation streams tokens as server-sent events.
    let sse =
        server.post("/api/lm/generate", serde_json::json!({"prompt": "The capital of France is", "max_tokens": 6}));
    assert_eq!(sse.status, 200);
    assert!(sse.header("content-type").unwrap().starts_with("text/event-stream"));
    let text = sse.text();
    let tokens: String = text
        .split("\n\n")
        .filter(|e| e.contains("event: token"))
        .map(|e| {
            serde_json::from_str::<serde_json::Value>(e.split("data: ").nth(1).unwrap()).unwrap()["text"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert!(tokens.starts_with(" Paris."), "{text}");
    assert!(text.contains("event: done"));
    let vector = server
        .post("/api/lm/vector", serde_json::json!({"positive": "I love this.", "negative": "I hate this."}))
        .json();
    assert_eq!(vector["layers"], 29);
    let steered = server.post(
        "/api/lm/generate",
        serde_json::json!({"prompt": "I think that my day was", "max_tokens": 12, "steer": [{"vector": vector["id"], "coefficient": 3.0}], "layers": [6, 6]}),
    );
    assert_eq!(steered.status, 200);
    let plain =
        server.post("/api/lm/generate", serde_json::json!({"prompt": "I think that my day was", "max_tokens": 12}));
    assert_ne!(steered.text().split("event: done").next(), plain.text().split("event: done").next());
    server.post("/api/lm/generate", serde_json::json!({"prompt": "x", "max_tokens": 100_000})).error(413, "too_large");
    server
        .post("/api/lm/generate", serde_json::json!({"prompt": "x", "steer": [{"vector": "v999", "coefficient": 1}]}))
        .error(404, "unknown_vector");
    server.post("/api/lm/generate", serde_json::json!({"prompt": ""})).error(400, "bad_request");

    // With one heavy slot taken by a long generation, other heavy work is refused at once (503).
    let addr = server.addr.clone();
    let long = std::thread::spawn(move || {
        let body = serde_json::json!({"prompt": "Once upon a time", "max_tokens": 256}).to_string();
        request(&addr, "POST", "/api/lm/generate", &[("content-type", "application/json")], body.as_bytes())
    });
    std::thread::sleep(std::time::Duration::from_millis(400));
    let busy = server.post("/api/faces/render", serde_json::json!({"latents": ["seed:3"]}));
    busy.error(503, "busy");
    assert_eq!(busy.header("retry-after"), Some("1"));
    // Light requests still go through.
    assert_eq!(server.post("/api/query", serde_json::json!({"expression": "paris", "k": 1})).status, 200);
    assert_eq!(long.join().unwrap().status, 200);
}

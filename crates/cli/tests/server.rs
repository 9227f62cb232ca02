//! The HTTP API against a running server: `vecspace serve` spawned on a free loopback port, spoken
//! to over plain HTTP/1.1.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};

use crate::support::{decode_png, glove, tile};

/// A running `vecspace serve`, stopped (SIGTERM) when dropped.
pub struct Server {
    child: Child,
    pub addr: String,
}

impl Server {
    pub fn start(extra: &[&str]) -> Server {
        Server::start_with(Command::new(env!("CARGO_BIN_EXE_vecspace")), extra)
    }

    /// A server on the real GloVe space whose cache (saved directions) is `home`.
    pub fn start_in(home: &std::path::Path, extra: &[&str]) -> Server {
        let mut command = Command::new(env!("CARGO_BIN_EXE_vecspace"));
        command.env("VECSPACE_HOME", home);
        Server::start_with(command, extra)
    }

    fn start_with(mut command: Command, extra: &[&str]) -> Server {
        let mut child = command
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
fn a_query_answers_with_neighbours_and_the_same_again_from_the_cache() {
    let server = Server::start(&[]);
    let answer = server.post("/api/query", serde_json::json!({"expression": "king - man + woman", "k": 3})).json();
    assert_eq!(answer["results"][0]["word"], "queen");
    assert!((answer["results"][0]["score"].as_f64().unwrap() - 0.8524).abs() < 1e-4);
    assert_eq!(answer["results"].as_array().unwrap().len(), 3);
    assert_eq!(
        server.post("/api/query", serde_json::json!({"expression": "king - man + woman", "k": 3})).json(),
        answer
    );
}

#[test]
fn a_number_valued_expression_answers_with_its_value() {
    let server = Server::start(&[]);
    let value = server.post("/api/query", serde_json::json!({"expression": "cos(cat, dog)"})).json();
    assert!((value["value"].as_f64().unwrap() - 0.9218).abs() < 1e-3, "{value}");
    assert_eq!(value["results"].as_array().unwrap().len(), 0);
}

#[test]
fn analogies_answer_with_the_method_used() {
    let server = Server::start(&[]);
    let analogy =
        server.post("/api/analogy", serde_json::json!({"a": "man", "b": "king", "c": "woman", "method": "mul"})).json();
    assert_eq!(analogy["results"][0]["word"], "queen");
    assert_eq!(analogy["method"], "mul");
}

#[test]
fn similarity_is_the_cosine_of_two_expressions() {
    let server = Server::start(&[]);
    let similarity = server.post("/api/similarity", serde_json::json!({"a": "cat", "b": "dog"})).json();
    assert!((similarity["similarity"].as_f64().unwrap() - 0.9218).abs() < 1e-3);
}

#[test]
fn plots_lay_words_out_by_principal_components_or_on_given_axes() {
    let server = Server::start(&[]);
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
}

#[test]
fn the_loaded_spaces_and_the_cache_are_listed() {
    let server = Server::start(&[]);
    let spaces = server.get("/api/spaces").json();
    assert_eq!(spaces[0]["words"], 400_000);
    assert_eq!(spaces[0]["default"], true);
    let fetch = server.get("/api/fetch").json();
    assert!(fetch.as_array().unwrap().iter().any(|e| e["name"] == "glove-6b-50d" && e["cached"] == true));
}

#[test]
fn bad_queries_get_json_errors_with_stable_codes() {
    let server = Server::start(&[]);
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

/// Equal JSON, except that numbers may differ in the last bits of an f32: the server answers
/// concurrent queries with one batched scan, whose sums run in another order.
fn same_answer(api: &serde_json::Value, cli: &serde_json::Value, args: &[&str]) {
    use serde_json::Value;
    match (api, cli) {
        (Value::Number(a), Value::Number(b)) => {
            let (a, b) = (a.as_f64().unwrap(), b.as_f64().unwrap());
            assert!((a - b).abs() <= 1e-6 * a.abs().max(1.0), "{args:?}: {a} vs {b}");
        }
        (Value::Array(a), Value::Array(b)) => {
            assert_eq!(a.len(), b.len(), "{args:?}: {api} vs {cli}");
            a.iter().zip(b).for_each(|(x, y)| same_answer(x, y, args));
        }
        (Value::Object(a), Value::Object(b)) => {
            assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>(), "{args:?}");
            a.iter().for_each(|(k, x)| same_answer(x, &b[k], args));
        }
        _ => assert_eq!(api, cli, "{args:?}"),
    }
}

/// The same request through the command line and the API gets the same answer, or the same
/// message: both front ends call one application layer.
#[test]
fn the_cli_and_the_server_answer_alike() {
    // A cache of its own, so that the saved directions named in messages are only this test's.
    let home = crate::support::temp_dir();
    let on_glove = |args: &[&str]| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_vecspace"));
        command.env("VECSPACE_HOME", home.path()).args(["--space", glove().to_str().unwrap()]).args(args);
        crate::support::Run::from(command.output().expect("the binary runs"))
    };
    let server = Server::start_in(home.path(), &[]);
    let direction = "gender";
    on_glove(&["direction", "build", "--out", direction, "--pairs", "he:she", "man:woman", "king:queen"]).ok();
    let with_direction = format!("king + 0.5 * @{direction}");
    let cases: Vec<(Vec<&str>, &str, serde_json::Value, &str)> = vec![
        (
            vec!["query", "king - man + woman", "-k", "5"],
            "/api/query",
            serde_json::json!({"expression": "king - man + woman", "k": 5}),
            "results",
        ),
        (
            vec!["query", with_direction.as_str(), "-k", "5"],
            "/api/query",
            serde_json::json!({"expression": with_direction, "k": 5}),
            "results",
        ),
        (vec!["query", "cos(cat, dog)"], "/api/query", serde_json::json!({"expression": "cos(cat, dog)"}), "value"),
        (
            vec!["similarity", "cat", "dog + @x"],
            "/api/similarity",
            serde_json::json!({"a": "cat", "b": "dog + @x"}),
            "",
        ),
        (
            vec!["similarity", "cat - cat", "dog"],
            "/api/similarity",
            serde_json::json!({"a": "cat - cat", "b": "dog"}),
            "",
        ),
        (
            vec!["similarity", "king", "queen"],
            "/api/similarity",
            serde_json::json!({"a": "king", "b": "queen"}),
            "similarity",
        ),
        (
            vec!["analogy", "man", "king", "woman", "--method", "mul", "-k", "5"],
            "/api/analogy",
            serde_json::json!({"a": "man", "b": "king", "c": "woman", "method": "mul", "k": 5}),
            "results",
        ),
        (
            vec!["along", direction, "nurse", "engineer", "doctor"],
            "/api/along",
            serde_json::json!({"direction": direction, "words": ["nurse", "engineer", "doctor"]}),
            "results",
        ),
        (vec!["query", "kingg"], "/api/query", serde_json::json!({"expression": "kingg"}), ""),
        (vec!["query", "king - (man"], "/api/query", serde_json::json!({"expression": "king - (man"}), ""),
        (
            vec!["query", "king + @no_such_direction"],
            "/api/query",
            serde_json::json!({"expression": "king + @no_such_direction"}),
            "",
        ),
        (
            vec!["along", "no_such_direction", "nurse"],
            "/api/along",
            serde_json::json!({"direction": "no_such_direction", "words": ["nurse"]}),
            "",
        ),
    ];
    for (args, path, body, field) in cases {
        let api = server.post(path, body);
        let cli = on_glove(&[&["--json"][..], &args[..]].concat());
        if field.is_empty() {
            let message =
                api.json()["message"].as_str().unwrap_or_else(|| panic!("{args:?}: {}", api.text())).to_owned();
            let err = cli.fails();
            assert_eq!(err.trim_end(), format!("error: {message}"), "{args:?}");
            continue;
        }
        assert_eq!(api.status, 200, "{args:?}: {}", api.text());
        let (api, cli) = (api.json(), cli.json());
        // The API answers `along` with the list itself.
        let api_answer = if path == "/api/along" { &api } else { &api[field] };
        same_answer(api_answer, &cli[field], &args);
    }
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
            // Routed: an answer, or one of the endpoint's own JSON errors, not the fallbacks'.
            let code = if response.status == 200 { None } else { response.json()["code"].as_str().map(str::to_owned) };
            let routed = !matches!(code.as_deref(), Some("no_route" | "method_not_allowed"));
            assert!(routed, "{method} {path}: {} {}", response.status, response.text());
        }
    }
}

#[test]
fn unknown_paths_methods_and_ids_get_json_errors_too() {
    let server = Server::start(&[]);
    server.get("/api/no-such-thing").error(404, "no_route");
    server.request("DELETE", "/api/query", &[], b"").error(405, "method_not_allowed");
    server.get("/api/jobs/abc").error(404, "unknown_job");
    server.get("/api/jobs/%ff").error(404, "unknown_job");
    server.get("/api/jobs/18446744073709551616").error(404, "unknown_job");
}

fn guarded() -> Server {
    Server::start(&["--token", "s3cret", "--cors-origin", "http://example.test"])
}

const JSON: (&str, &str) = ("content-type", "application/json");

fn small_query() -> String {
    serde_json::json!({"expression": "king", "k": 1}).to_string()
}

#[test]
fn a_token_guards_the_api_but_not_the_page() {
    let server = guarded();
    server.request("POST", "/api/query", &[JSON], small_query().as_bytes()).error(401, "unauthorized");
    server
        .request("POST", "/api/query", &[JSON, ("authorization", "Bearer wrong!")], small_query().as_bytes())
        .error(401, "unauthorized");
    let ok =
        server.request("POST", "/api/query", &[JSON, ("authorization", "Bearer s3cret")], small_query().as_bytes());
    assert_eq!(ok.status, 200, "{}", ok.text());
    // The page itself needs no token; it asks for one.
    let page = server.get("/");
    assert_eq!(page.status, 200);
    assert!(page.text().contains("id=\"token\""));
}

#[test]
fn cors_answers_only_the_allowed_origin() {
    let server = guarded();
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
        &[JSON, ("authorization", "Bearer s3cret"), ("origin", "http://evil.test")],
        small_query().as_bytes(),
    );
    assert_eq!(other.status, 200);
    assert_eq!(other.header("access-control-allow-origin"), None);
    // Without --cors-origin, no origin is allowed.
    let plain = Server::start(&[]);
    let preflight = plain.request(
        "OPTIONS",
        "/api/query",
        &[("origin", "http://example.test"), ("access-control-request-method", "POST")],
        b"",
    );
    assert_eq!(preflight.header("access-control-allow-origin"), None);
}

#[test]
fn sigterm_stops_the_server_cleanly() {
    let server = Server::start(&[]);
    assert_eq!(server.post("/api/query", serde_json::json!({"expression": "king", "k": 1})).status, 200);
    let (code, stderr) = server.stop();
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("stopped"), "{stderr}");
}

#[test]
fn directions_built_over_the_api_are_listed_and_used() {
    let server = Server::start(&[]);
    let name = format!("api_gender_{}", std::process::id());
    let built = server.post(
        "/api/directions",
        serde_json::json!({"name": name, "pairs": [["he", "she"], ["man", "woman"], ["king", "queen"]]}),
    );
    assert_eq!(built.status, 201, "{}", built.text());
    // Another client cannot replace it by accident; asking to replace it does.
    let again = serde_json::json!({"name": name, "pairs": [["man", "woman"]]});
    server.post("/api/directions", again.clone()).error(409, "exists");
    let mut replace = again;
    replace["replace"] = true.into();
    assert_eq!(server.post("/api/directions", replace).status, 201);
    let rebuilt = server.post(
        "/api/directions",
        serde_json::json!({"name": name, "replace": true, "pairs": [["he", "she"], ["man", "woman"], ["king", "queen"]]}),
    );
    assert_eq!(rebuilt.status, 201, "{}", rebuilt.text());
    let path = vecspace::fetch::Cache::from_env().unwrap().direction_path(&name);
    // Saved with its provenance, as `direction build` saves it (docs/FORMAT.md).
    let shown = crate::support::on_glove(&["--json", "direction", "show", path.to_str().unwrap()]).json();
    assert!(shown["created"].as_str().unwrap().ends_with('Z'), "{shown}");
    assert!(shown["positive_side"].as_str().unwrap().starts_with("the right side of each pair"), "{shown}");
    let along =
        server.post("/api/along", serde_json::json!({"direction": name, "words": ["nurse", "engineer"]})).json();
    assert_eq!(along[0]["word"], "nurse", "{along}");
    let listed = server.get("/api/directions").json();
    assert!(listed.as_array().unwrap().iter().any(|d| d["name"] == name.as_str()));
    let used = server.post("/api/query", serde_json::json!({"expression": format!("king + @{name}"), "k": 1})).json();
    assert_eq!(used["results"][0]["word"], "queen", "{used}");
    std::fs::remove_file(path).unwrap();
}

#[test]
fn direction_names_cannot_reach_outside_the_cache() {
    let server = Server::start(&[]);
    server
        .post("/api/directions", serde_json::json!({"name": "../../etc/x", "pairs": [["he", "she"]]}))
        .error(400, "bad_request");
    server.post("/api/along", serde_json::json!({"direction": "../secret", "words": ["a"]})).error(400, "bad_request");
    server
        .post("/api/along", serde_json::json!({"direction": "no-such-direction", "words": ["a"]}))
        .error(404, "unknown_direction");
}

#[test]
fn an_evaluation_job_reports_the_command_line_s_numbers() {
    let server = Server::start(&[]);
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
    let cli =
        crate::support::on_glove(&["--json", "eval", "analogies", "google-analogies", "--restrict-vocab", "30000"])
            .json();
    assert_eq!(result["result"]["correct"], cli["correct"], "{result} {cli}");
    assert_eq!(result["done"], result["total"]);
}

#[test]
fn unknown_jobs_and_sets_are_not_found() {
    let server = Server::start(&[]);
    server.post("/api/jobs", serde_json::json!({"kind": "analogies", "set": "../../x"})).error(404, "unknown_set");
    server.get("/api/jobs/999999").error(404, "unknown_job");
}

/// Values that differ by more than a little between two faces.
fn differing(a: &[u8], b: &[u8]) -> usize {
    a.iter().zip(b).filter(|(x, y)| x.abs_diff(**y) > 16).count()
}

#[test]
fn faces_render_as_a_png_grid_of_the_latents_faces() {
    let server = Server::start(&["--heavy", "1"]);
    let latents = ["seed:1", "seed:1", "seed:2"];
    let png = server.post("/api/faces/render", serde_json::json!({"latents": latents, "scale": 1, "columns": 3}));
    assert_eq!(png.status, 200, "{}", png.text());
    assert_eq!(png.header("content-type"), Some("image/png"));
    let grid = decode_png(&png.body);
    // Untitled grids: 8-pixel gaps, cells 72 pixels apart.
    let face = |i: usize| tile(&grid, 8 + i * 72, 8, 1);
    assert_eq!(face(0), face(1), "the same latent gives the same face");
    assert!(differing(&face(0), &face(2)) > 1000, "seed:1 and seed:2 look alike");
    // The command line draws the same faces for the same latents (its grid has a title above).
    let dir = crate::support::temp_dir();
    let out = dir.path().join("faces.png");
    crate::support::vecspace(&["latent", "render", "seed:1", "seed:2", "--scale", "1", "--out", out.to_str().unwrap()])
        .ok();
    let cli = decode_png(&std::fs::read(&out).unwrap());
    assert_eq!(tile(&cli, 8, 44, 1), face(0));
    assert_eq!(tile(&cli, 80, 44, 1), face(2));
}

#[test]
fn face_edits_and_interpolations_render() {
    let server = Server::start(&["--heavy", "1"]);
    let edit = server.post(
        "/api/faces/edit",
        serde_json::json!({"latent": "seed:40", "positive": [0, 4, 8], "negative": [5, 6, 7], "strengths": [-3, 0, 3]}),
    );
    assert_eq!(edit.status, 200, "{}", edit.text());
    let (width, _, _) = decode_png(&edit.body);
    assert!(width >= 3 * 64 * 2, "three frames at scale 2: {width}");
    let frames =
        server.post("/api/faces/interpolate", serde_json::json!({"from": "seed:1", "to": "seed:2", "steps": 4}));
    assert_eq!(frames.status, 200);
    let (width, _, _) = decode_png(&frames.body);
    assert!(width >= 4 * 64 * 2, "four frames at scale 2: {width}");
}

#[test]
fn bad_face_requests_get_json_errors() {
    let server = Server::start(&["--heavy", "1"]);
    server.post("/api/faces/render", serde_json::json!({"latents": ["face"]})).error(400, "bad_expression");
    server.post("/api/faces/render", serde_json::json!({"latents": vec!["seed:1"; 65]})).error(413, "too_large");
    server
        .post("/api/faces/render", serde_json::json!({"latents": ["seed:1"], "model": "stylegan"}))
        .error(404, "unknown_model");
    server
        .post("/api/faces/render", serde_json::json!({"latents": ["seed:1 + @no-such-direction"]}))
        .error(404, "unknown_direction");
    server
        .post(
            "/api/faces/edit",
            serde_json::json!({"latent": "seed:1", "positive": [], "negative": [1], "strengths": [1]}),
        )
        .error(400, "bad_request");
    server
        .post("/api/faces/interpolate", serde_json::json!({"from": "seed:1", "to": "seed:2", "method": "cubic"}))
        .error(400, "bad_request");
}

/// The text of a generation's token events.
fn streamed_text(events: &str) -> String {
    events
        .split("\n\n")
        .filter(|e| e.contains("event: token"))
        .map(|e| {
            serde_json::from_str::<serde_json::Value>(e.split("data: ").nth(1).unwrap()).unwrap()["text"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect()
}

#[test]
fn generation_streams_tokens_as_server_sent_events() {
    let server = Server::start(&[]);
    let sse =
        server.post("/api/lm/generate", serde_json::json!({"prompt": "The capital of France is", "max_tokens": 6}));
    assert_eq!(sse.status, 200);
    assert!(sse.header("content-type").unwrap().starts_with("text/event-stream"));
    let text = sse.text();
    assert!(streamed_text(&text).starts_with(" Paris."), "{text}");
    assert!(text.contains("event: done"));
}

#[test]
fn a_steering_vector_changes_the_generation() {
    let server = Server::start(&[]);
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
    assert_ne!(streamed_text(&steered.text()), streamed_text(&plain.text()));
}

#[test]
fn each_request_runs_the_model_it_names() {
    crate::lm::gemma_path();
    let server = Server::start(&[]);
    let models = server.get("/api/lm/models").json();
    let names: Vec<&str> = models["models"].as_array().unwrap().iter().map(|m| m["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["smollm2-135m", "gemma3-270m"], "{models}");
    let gemma = &models["models"][1];
    assert_eq!(gemma["layers"], 18);
    assert_eq!(gemma["preset"]["layers"], serde_json::json!([6, 12]));
    assert!(gemma["license"].as_str().unwrap().contains("Gemma Terms of Use"));

    let vector = server
        .post(
            "/api/lm/vector",
            serde_json::json!({"model": "gemma3-270m", "positive": "I love this.", "negative": "I hate this.", "normalize": true}),
        )
        .json();
    assert_eq!(
        (vector["model"].as_str(), vector["layers"].as_u64(), vector["width"].as_u64()),
        (Some("gemma3-270m"), Some(17), Some(640))
    );
    let prompt = "I think that my day was";
    let plain = server
        .post("/api/lm/generate", serde_json::json!({"model": "gemma3-270m", "prompt": prompt, "max_tokens": 12}));
    let steered = server.post(
        "/api/lm/generate",
        serde_json::json!({"model": "gemma3-270m", "prompt": prompt, "max_tokens": 12, "layers": [6, 12], "steer": [{"vector": vector["id"], "coefficient": 50.0}]}),
    );
    let (plain, steered) = (streamed_text(&plain.text()), streamed_text(&steered.text()));
    assert!(!plain.is_empty() && plain != steered, "{plain:?} | {steered:?}");
    let smollm2 = server.post("/api/lm/generate", serde_json::json!({"prompt": prompt, "max_tokens": 12}));
    assert_ne!(streamed_text(&smollm2.text()), plain, "the default model is SmolLM2, not Gemma");

    // A vector runs only on the model it was built on; an unknown model is named with the offered ones.
    server
        .post(
            "/api/lm/generate",
            serde_json::json!({"prompt": prompt, "steer": [{"vector": vector["id"], "coefficient": 1}]}),
        )
        .error(400, "vector_model_mismatch");
    let unknown = server.post("/api/lm/generate", serde_json::json!({"model": "gpt-5", "prompt": prompt}));
    unknown.error(404, "unknown_model");
    assert!(unknown.json()["message"].as_str().unwrap().contains("smollm2-135m, gemma3-270m"), "{}", unknown.text());
    server
        .post("/api/lm/vector", serde_json::json!({"model": "gpt-5", "positive": "a", "negative": "b"}))
        .error(404, "unknown_model");
}

#[test]
fn the_server_offers_the_language_models_it_is_given() {
    let file = crate::lm::model_path().to_str().unwrap().to_owned();
    let server = Server::start(&["--lm-model", &file]);
    let models = server.get("/api/lm/models").json();
    assert_eq!(models["models"].as_array().unwrap().len(), 1, "{models}");
    let offered = &models["models"][0];
    assert_eq!(offered["name"], "smollm2-135m", "a file is called by its name without .gguf");
    assert_eq!(offered["layers"], 30);
    assert!(offered["description"].as_str().unwrap().contains("llama, 30 layers × 576"), "{offered}");
    assert!(!models.to_string().contains(&file), "the server's paths stay private: {models}");
    let sse =
        server.post("/api/lm/generate", serde_json::json!({"prompt": "The capital of France is", "max_tokens": 3}));
    assert!(streamed_text(&sse.text()).starts_with(" Paris"), "{}", sse.text());
    server
        .post("/api/lm/generate", serde_json::json!({"model": "gemma3-270m", "prompt": "x"}))
        .error(404, "unknown_model");

    // A file that cannot run stops the server before it listens, with the reason.
    let tiny = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/golden/tiny-llama.gguf");
    let refused = crate::support::on_glove(&["serve", "--addr", "127.0.0.1:0", "--lm-model", tiny]);
    let message = refused.fails();
    assert!(message.contains("tiny-llama.gguf") && message.contains("tokenizer"), "{message}");
}

#[test]
fn bad_generation_requests_get_json_errors() {
    let server = Server::start(&[]);
    server.post("/api/lm/generate", serde_json::json!({"prompt": "x", "max_tokens": 100_000})).error(413, "too_large");
    server
        .post("/api/lm/generate", serde_json::json!({"prompt": "x", "steer": [{"vector": "v999", "coefficient": 1}]}))
        .error(404, "unknown_vector");
    server.post("/api/lm/generate", serde_json::json!({"prompt": ""})).error(400, "bad_request");
}

#[test]
fn heavy_work_is_refused_at_once_when_every_slot_is_busy() {
    let server = Server::start(&["--heavy", "1"]);
    let addr = server.addr.clone();
    let long = std::thread::spawn(move || {
        let body = serde_json::json!({"prompt": "Once upon a time", "max_tokens": 256}).to_string();
        request(&addr, "POST", "/api/lm/generate", &[JSON], body.as_bytes())
    });
    std::thread::sleep(std::time::Duration::from_millis(400));
    let busy = server.post("/api/faces/render", serde_json::json!({"latents": ["seed:3"]}));
    busy.error(503, "busy");
    assert_eq!(busy.header("retry-after"), Some("1"));
    // Light requests still go through.
    assert_eq!(server.post("/api/query", serde_json::json!({"expression": "paris", "k": 1})).status, 200);
    assert_eq!(long.join().unwrap().status, 200);
}

/// A connection that has sent `sent` and then stalls, as a slow or hostile client does.
fn stalled(addr: &str, sent: &[u8]) -> TcpStream {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.write_all(sent).unwrap();
    // Never hang the test: a server that keeps the connection open shows as a read timeout.
    stream.set_read_timeout(Some(std::time::Duration::from_secs(10))).unwrap();
    stream
}

/// What the server sent before closing, or None if it kept the connection open past the
/// test's read timeout.
fn until_closed(stream: &mut TcpStream) -> Option<String> {
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).ok()?;
    Some(String::from_utf8_lossy(&answer).into_owned())
}

#[test]
fn slow_clients_neither_block_others_nor_delay_shutdown() {
    let server = Server::start(&["--read-timeout", "3"]);
    // Three hundred clients part-way through their headers, dripping a byte now and then.
    let mut slow: Vec<TcpStream> =
        (0..300).map(|_| stalled(&server.addr, b"POST /api/query HTTP/1.1\r\nhost: x\r\n")).collect();
    for stream in &mut slow[..100] {
        stream.write_all(b"x").unwrap();
    }
    let started = std::time::Instant::now();
    let answer = server.post("/api/query", serde_json::json!({"expression": "king", "k": 3}));
    assert_eq!(answer.status, 200, "{}", answer.text());
    eprintln!("a query beside 300 stalled connections answered in {:?}", started.elapsed());

    // Past the deadline the server closes a connection whose headers never completed.
    let started = std::time::Instant::now();
    assert!(until_closed(&mut slow[0]).is_some(), "a client stalled in its headers was kept past the deadline");
    eprintln!("stalled headers closed after {:?}", started.elapsed());
    // And one whose body stalls is answered 408 in JSON.
    let mut body = stalled(
        &server.addr,
        b"POST /api/query HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{\"ex",
    );
    let answer = until_closed(&mut body).expect("a client stalled in its body was kept past the deadline");
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("\"code\":\"body_timeout\""), "{answer}");

    // SIGTERM with connections open part-way: the server exits promptly all the same.
    let _still_open: Vec<TcpStream> =
        (0..50).map(|_| stalled(&server.addr, b"GET / HTTP/1.1\r\nhost: x\r\n")).collect();
    let idle = stalled(&server.addr, b"");
    let started = std::time::Instant::now();
    let (code, stderr) = server.stop();
    let took = started.elapsed();
    assert_eq!(code, 0, "{stderr}");
    eprintln!("stopped in {took:?} with 51 connections open");
    // The shutdown gives requests in flight one second; more than a few means it waited on the
    // stalled clients.
    assert!(took < std::time::Duration::from_secs(5), "SIGTERM took {took:?}");
    drop(idle);
}

#[test]
fn connections_past_the_cap_are_refused_in_json() {
    let server = Server::start(&["--max-connections", "20"]);
    let idle: Vec<TcpStream> = (0..20).map(|_| stalled(&server.addr, b"")).collect();
    // The listener accepts in order, so the idle ones hold every slot by now.
    std::thread::sleep(std::time::Duration::from_millis(200));
    let refused = server.get("/api/spaces");
    refused.error(503, "too_many_connections");
    assert_eq!(refused.header("retry-after"), Some("1"));
    drop(idle);
    // Closed connections give their slots back.
    let mut answered = None;
    for _ in 0..50 {
        let response = server.get("/api/spaces");
        if response.status == 200 {
            answered = Some(response);
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(answered.is_some(), "slots were not given back when their clients left");
}

#[test]
fn a_space_file_truncated_under_the_server_is_refused_not_a_crash() {
    let dir = crate::support::temp_dir();
    let copy = dir.path().join("served.vsp");
    std::fs::copy(glove(), &copy).unwrap();
    let server = Server::start(&["--serve-space", copy.to_str().unwrap()]);
    assert_eq!(server.post("/api/query", serde_json::json!({"expression": "king", "k": 1})).status, 200);
    // Someone truncates the file in place (not vecspace: it replaces files by renaming).
    let len = std::fs::metadata(&copy).unwrap().len();
    std::fs::File::options().write(true).open(&copy).unwrap().set_len(len / 3).unwrap();
    let refused = server.post("/api/query", serde_json::json!({"expression": "queen", "k": 1}));
    refused.error(503, "space_changed");
    let message = refused.json()["message"].as_str().unwrap().to_owned();
    assert!(message.contains("served.vsp: the file changed while in use"), "{message}");
    assert!(!message.contains(dir.path().to_str().unwrap()), "the server's paths leak: {message}");
    // The server lives on (reading the lost pages would have killed it with SIGBUS).
    assert_eq!(server.get("/").status, 200);
    let (code, stderr) = server.stop();
    assert_eq!(code, 0, "{stderr}");
}

/// `format: png` answers the plain faces edge to edge, byte for byte the grid's; `format: npy`
/// their float pixels, the generator's output channels last; an unknown format is a JSON error.
#[test]
fn faces_come_plain_or_as_pixels_on_request() {
    let server = Server::start(&["--heavy", "1"]);
    let latents = ["seed:1", "seed:2", "seed:3"];
    let ask = |format: &str| {
        server.post(
            "/api/faces/render",
            serde_json::json!({"latents": latents, "scale": 1, "columns": 2, "format": format}),
        )
    };
    let grid = decode_png(&ask("grid").body);
    let plain = ask("png");
    assert_eq!(plain.header("content-type"), Some("image/png"));
    let mosaic = decode_png(&plain.body);
    assert_eq!((mosaic.0, mosaic.1), (2 * 64, 2 * 64));
    for i in 0..3 {
        let (column, row) = (i % 2, i / 2);
        let in_grid = tile(&grid, 8 + column * 72, 8 + row * (64 + 22 + 8), 1);
        assert_eq!(tile(&mosaic, column * 64, row * 64, 1), in_grid, "face {i}");
    }
    let pixels = ask("npy");
    assert_eq!(pixels.header("content-type"), Some("application/octet-stream"));
    let header = std::str::from_utf8(&pixels.body[10..128]).unwrap();
    assert!(header.contains("'shape': (3, 64, 64, 3)"), "{header}");
    let values: Vec<f32> = pixels.body[128..].chunks(4).map(|b| f32::from_le_bytes(b.try_into().unwrap())).collect();
    let generator = vecspace::open_generator(vecspace::latent::DEFAULT_MODEL, &vecspace::progress::Silent).unwrap();
    let seeds: Vec<Vec<f32>> = [1, 2, 3].iter().map(|&s| vecspace::latent::seed_latent(s, 100)).collect();
    let expected = vecspace::app::latent::pixels_channels_last(&generator.generate(&seeds).unwrap());
    assert_eq!(values, expected);
    ask("jpeg").error(400, "bad_request");
}

/// The faces tab's two heavy requests: a sheet of directions found without labels (nothing
/// saved), and the latent of an uploaded image.
#[test]
fn faces_discover_a_sheet_and_invert_an_upload() {
    use base64::Engine;
    let server = Server::start(&["--heavy", "1"]);
    let saved_before = server.get("/api/directions").json();
    let sheet = server.post(
        "/api/faces/discover",
        serde_json::json!({"method": "sefa", "top": 2, "seeds": [0], "steps": 3, "format": "png"}),
    );
    assert_eq!(sheet.header("content-type"), Some("image/png"), "{}", sheet.text());
    // The same faces as the library's SeFa directions swept over seed 0.
    let generator = vecspace::open_generator(vecspace::latent::DEFAULT_MODEL, &vecspace::progress::Silent).unwrap();
    let sefa = vecspace::latent::discover::sefa(&generator, 2).unwrap();
    let named: Vec<(String, Vec<f32>)> = sefa.into_iter().map(|c| (String::new(), c.vector)).collect();
    let (latents, _) = vecspace::app::latent::direction_sheet(&named, &[0], &[-3.0, 0.0, 3.0]).unwrap();
    let expected = vecspace::app::latent::faces_mosaic(&generator.generate(&latents).unwrap(), 3).unwrap();
    assert_eq!(sheet.body, expected);
    server.post("/api/faces/discover", serde_json::json!({"method": "pca"})).error(400, "bad_request");
    server.post("/api/faces/discover", serde_json::json!({"method": "sefa", "top": 11})).error(413, "too_large");
    let endless = serde_json::json!({"method": "sefa", "seeds": [1, 2], "steps": u64::MAX});
    server.post("/api/faces/discover", endless).error(413, "too_large");
    assert_eq!(server.get("/api/directions").json(), saved_before, "a sheet saves nothing");

    // Upload the face of seed 5; a short search finds a face close to it.
    let face = vecspace::latent::seed_latent(5, 100);
    let upload = vecspace::app::latent::face_png(&generator.generate(&[face]).unwrap(), 0).unwrap();
    let png = [("content-type", "image/png")];
    let found = server.request("POST", "/api/faces/invert?steps=60&starts=2", &png, &upload);
    assert_eq!(found.status, 200, "{}", found.text());
    let answer = found.json();
    let latent: Vec<f32> = answer["latent"].as_array().unwrap().iter().map(|x| x.as_f64().unwrap() as f32).collect();
    assert_eq!(latent.len(), 100);
    let faces =
        decode_png(&base64::engine::general_purpose::STANDARD.decode(answer["faces_png"].as_str().unwrap()).unwrap());
    assert_eq!((faces.0, faces.1), (128, 64));
    assert_eq!(tile(&faces, 0, 0, 1), decode_png(&upload).2, "the upload as prepared");
    let image = generator.generate(&[latent]).unwrap();
    assert_eq!(tile(&faces, 64, 0, 1), image.rgb8(0), "the face of the answer's latent");
    let target = vecspace::app::latent::inversion_target(&upload, None).unwrap();
    let rms = vecspace::latent::invert::pixel_distance(image.image(0), &target).0;
    assert!((f64::from(rms) - answer["rms_levels"].as_f64().unwrap()).abs() < 1e-3);
    assert!(rms < 30.0, "{rms}");
    // What it refuses, each with a JSON error.
    server
        .request("POST", "/api/faces/invert", &[("content-type", "image/jpeg")], &upload)
        .error(415, "unsupported_media_type");
    server.request("POST", "/api/faces/invert", &png, b"GIF89a, not a PNG at all").error(400, "bad_request");
    server.request("POST", "/api/faces/invert?steps=5000", &png, &upload).error(413, "too_large");
    server.request("POST", "/api/faces/invert?steps=many", &png, &upload).error(400, "bad_request");
    server.request("POST", "/api/faces/invert?crop=10,10,60", &png, &upload).error(400, "bad_request");
    server.request("POST", "/api/faces/invert", &png, &vec![0u8; 5 << 20]).error(413, "too_large");
}

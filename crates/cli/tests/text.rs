//! Texts as a space, with the real all-MiniLM-L6-v2: `embed` makes a space whose words are the
//! texts of a file, `--space minilm-l6 --candidates FILE` does the same through the cache, and
//! quoted texts in expressions are embedded on the spot, with a note. Bad corpora are clear
//! errors.

use std::path::{Path, PathBuf};

use serde_json::Value;
use vecspace::{OpenSpace, Space, TextEncoder};

use crate::support::{temp_dir, vecspace};

const TEXTS: [&str; 10] = [
    "a photo of a happy dog",
    "a photo of a sad dog",
    "a photo of a sad cat",
    "a photo of a happy cat",
    "a dog running on the beach",
    "a cat sleeping on a sofa",
    "the stock market fell sharply today",
    "a bowl of hot soup",
    "a crying puppy",
    "a smiling child at the park",
];

fn corpus(dir: &Path, name: &str, lines: &[&str]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    path
}

/// `vecspace embed FILE --space minilm-l6 --out OUT`.
fn embed(file: &Path, out: &Path) -> crate::support::Run {
    vecspace(&["embed", file.to_str().unwrap(), "--space", "minilm-l6", "--out", out.to_str().unwrap()])
}

fn words(out: &Value) -> Vec<String> {
    out["results"].as_array().unwrap().iter().map(|r| r["word"].as_str().unwrap().to_owned()).collect()
}

#[test]
fn sentence_arithmetic_over_an_embedded_corpus() {
    let dir = temp_dir();
    let file = corpus(dir.path(), "texts.txt", &TEXTS);
    let out = dir.path().join("texts.vsp");
    let run = embed(&file, &out);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("embedded 10 texts (384 dims) with minilm-l6"), "{}", run.stderr);

    // The space's rows are the encoder's vectors of its texts, and opening it attaches the encoder.
    let space = Space::open(&out).unwrap();
    let encoder = vecspace::app::text::open_encoder("minilm-l6", &vecspace::progress::Silent).unwrap();
    let row = space.lookup("a crying puppy").unwrap();
    assert_eq!(space.raw_vector(row), encoder.encode("a crying puppy").unwrap().as_slice());
    assert_eq!(TextEncoder::name(&encoder), "minilm-l6");

    let expression = r#""a photo of a happy dog" - "happy" + "sad""#;
    let run = vecspace(&["--space", out.to_str().unwrap(), "query", expression, "--top", "3", "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let answer: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(words(&answer)[0], "a photo of a sad dog", "{answer}");
    // Its own text is left out, as a word's own row is; the two made-up words are noted.
    assert!(!words(&answer).contains(&"a photo of a happy dog".to_owned()));
    for word in ["happy", "sad"] {
        let note = format!("note: {word:?} is not one of the texts; embedded with minilm-l6");
        assert!(run.stderr.contains(&note), "{}", run.stderr);
    }
    let info = vecspace(&["--space", out.to_str().unwrap(), "info", "--json"]).json();
    assert_eq!(info["format"], "native (texts embedded with minilm-l6)");
    assert_eq!(info["metadata"]["encoder"], "minilm-l6");

    // Directions, `along` and `@name`s work on texts as on words.
    let mood = dir.path().join("mood.safetensors");
    let pairs = ["a photo of a sad dog:a photo of a happy dog", "a photo of a sad cat:a photo of a happy cat"];
    let run = vecspace(&[
        "--space",
        out.to_str().unwrap(),
        "direction",
        "build",
        "--pairs",
        pairs[0],
        pairs[1],
        "--out",
        mood.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let placed =
        vecspace(&["--space", out.to_str().unwrap(), "along", mood.to_str().unwrap(), "--top", "2", "--json"]).json();
    assert_eq!(placed["results"][0]["word"], "a photo of a happy dog", "{placed}");
    assert_eq!(placed["results"][3]["word"], "a photo of a sad dog", "{placed}");
    let expression = format!(r#""a dog on a sunny day" + "@{}""#, mood.display());
    let out = vecspace(&["--space", out.to_str().unwrap(), "query", &expression, "--top", "1", "--json"]).json();
    assert_eq!(words(&out), ["a photo of a happy dog"], "{out}");
}

#[test]
fn candidates_are_embedded_once_and_kept_in_the_cache() {
    let dir = temp_dir();
    // A file of its own content, so that no other test has embedded it before.
    let mut lines: Vec<String> = TEXTS.iter().map(|t| t.to_string()).collect();
    lines.push(format!("a note written at {:?}", std::time::SystemTime::now()));
    let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
    let file = corpus(dir.path(), "candidates.txt", &refs);
    let args =
        ["--space", "minilm-l6", "--candidates", file.to_str().unwrap(), "query", r#""a sad puppy""#, "--top", "2"];
    let first = vecspace(&args);
    assert_eq!(first.code, 0, "{}", first.stderr);
    assert!(first.stderr.contains("11 texts of") && first.stderr.contains(" embedded, kept in "), "{}", first.stderr);
    let second = vecspace(&args);
    assert!(second.stderr.contains(" embedded before, kept in "), "{}", second.stderr);
    assert_eq!(first.stdout, second.stdout);
    assert!(first.stdout.contains("a crying puppy"), "{}", first.stdout);
    // The cached space is the test's own: removed, so that runs do not pile them up.
    let kept = second.stderr.lines().find_map(|l| l.split(" kept in ").nth(1)).expect("the cached path");
    assert!(kept.contains("/corpora/minilm-l6-"), "{kept}");
    std::fs::remove_file(kept).unwrap();
}

#[test]
fn bad_corpora_and_texts_are_clear_errors() {
    let dir = temp_dir();
    let out = dir.path().join("out.vsp");
    let err = embed(&corpus(dir.path(), "blank.txt", &["a dog", "", "a cat"]), &out).fails();
    assert!(err.contains("blank.txt line 2 is empty"), "{err}");
    let err = embed(&corpus(dir.path(), "control.txt", &["a dog", "a dog", "\u{7}\u{1b}"]), &out).fails();
    assert!(err.contains("control.txt line 3: \"\\u{7}\\u{1b}\" has no tokens"), "{err}");
    assert!(!out.exists(), "nothing is written when embedding fails");
    let err = vecspace(&["embed", "/no/such/file.txt", "--space", "minilm-l6", "--out", out.to_str().unwrap()]).fails();
    assert!(err.contains("/no/such/file.txt"), "{err}");
    let err = vecspace(&[
        "embed",
        corpus(dir.path(), "ok.txt", &["a dog"]).to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ])
    .fails();
    assert!(err.contains("embedding needs a sentence encoder as the space (minilm-l6)"), "{err}");
    let err = vecspace(&["--space", "minilm-l6", "query", "dog"]).fails();
    assert!(
        err.contains("minilm-l6 is a sentence encoder: give the texts to search among with --candidates FILE"),
        "{err}"
    );
    let err = vecspace(&["--candidates", "x.txt", "query", "dog"]).fails();
    assert!(err.contains("--candidates is for a sentence encoder"), "{err}");
}

#[test]
fn the_server_embeds_quoted_texts_in_a_space_of_texts() {
    let dir = temp_dir();
    let file = corpus(dir.path(), "served.txt", &TEXTS);
    let out = dir.path().join("served.vsp");
    let run = embed(&file, &out);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let glove = crate::support::glove().to_str().unwrap().to_owned();
    let server = crate::server::Server::start(&["--serve-space", &glove, out.to_str().unwrap()]);
    let request = serde_json::json!({"expression": "\"a sad puppy\"", "space": out.to_str().unwrap(), "k": 2});
    let answer = server.post("/api/query", request).json();
    assert_eq!(answer["results"][0]["word"], "a crying puppy", "{answer}");
    assert_eq!(answer["notes"][0], "\"a sad puppy\" is not one of the texts; embedded with minilm-l6", "{answer}");
    let nothing = serde_json::json!({"expression": "\"\u{7}\"", "space": out.to_str().unwrap()});
    server.post("/api/query", nothing).error(400, "bad_expression");
}

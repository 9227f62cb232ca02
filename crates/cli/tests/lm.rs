//! The language model, fetched for real: tokenizer, forward pass and generation against
//! independent references (tests/reference/smollm2_*.py) and llama.cpp's known output.

use std::path::PathBuf;
use std::sync::OnceLock;

use vecspace::lm::{Gguf, Llama, NoHook, Precision, Tokenizer};

use crate::support::vecspace;

/// The model file, fetched into the cache by the binary on first use.
fn model_path() -> &'static PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let out = vecspace(&["fetch", "smollm2-135m"]).ok();
        PathBuf::from(out.lines().last().unwrap().rsplit(" in ").next().unwrap())
    })
}

fn golden(name: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/golden")).join(name)
}

#[test]
fn the_tokenizer_matches_an_independent_implementation() {
    let file = Gguf::open(model_path()).unwrap();
    let tokenizer = Tokenizer::from_gguf(&file).unwrap();
    // llama.cpp's ids for this prompt (no BOS: the file says not to add one).
    assert_eq!(tokenizer.encode("The capital of France is").unwrap(), vec![504, 3575, 282, 4649, 314]);
    let cases: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(golden("smollm2-tokens.json")).unwrap()).unwrap();
    for case in cases.as_array().unwrap() {
        let text = case["text"].as_str().unwrap();
        let expected: Vec<u32> = case["ids"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap() as u32).collect();
        let ids = tokenizer.encode(text).unwrap();
        assert_eq!(ids, expected, "{text:?}");
        assert_eq!(tokenizer.decode(&ids), text);
    }
    assert_eq!(tokenizer.token_text(7042), "ĠParis");
    assert!(tokenizer.is_control(2) && !tokenizer.is_control(7042));
}

/// The last position's logits for the France prompt against the NumPy float64 forward pass on
/// dequantised weights.
#[test]
fn logits_match_the_numpy_reference() {
    let file = Gguf::open(model_path()).unwrap();
    let mut model = Llama::load(&file).unwrap();
    let reference = vecspace::formats::npy::read_vectors(&golden("smollm2-logits.npy"), 49152, 1).unwrap().remove(0);
    let run = |model: &Llama| {
        let mut cache = model.new_cache();
        let mut logits = None;
        for (i, &token) in [504, 3575, 282, 4649, 314].iter().enumerate() {
            logits = model.forward(token, &mut cache, &mut NoHook, i == 4).unwrap();
        }
        logits.unwrap()
    };
    let top = |logits: &[f32], k: usize| {
        let mut order: Vec<usize> = (0..logits.len()).collect();
        order.sort_by(|&a, &b| logits[b].total_cmp(&logits[a]));
        order.truncate(k);
        order
    };
    // Log-probabilities: logits are defined up to a shift, which quantisation moves a little.
    let log_softmax = |logits: &[f32]| -> Vec<f64> {
        let max = logits.iter().fold(f32::NEG_INFINITY, |m, v| m.max(*v));
        let sum: f64 = logits.iter().map(|v| f64::from(v - max).exp()).sum();
        logits.iter().map(|v| f64::from(v - max) - sum.ln()).collect()
    };
    let expected = log_softmax(&reference);
    // The largest error among the tokens the reference finds likely (log-probability above −10).
    let worst = |logits: &[f32]| {
        let got = log_softmax(logits);
        got.iter().zip(&expected).filter(|(_, e)| **e > -10.0).map(|(a, b)| (a - b).abs()).fold(0.0f64, f64::max)
    };
    // Exact products: only f32 rounding separates the two.
    model.precision = Precision::Exact;
    let exact = run(&model);
    let raw = exact.iter().zip(&reference).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
    assert!(raw < 2e-3, "exact: max |Δ logit| {raw}");
    // llama.cpp's scheme rounds the input of every product to 8 bits per block of 32 (up to 0.4 %
    // of the block's largest value); over 211 products the likely tokens' log-probabilities move
    // by up to 0.36 (measured). A real mistake — a wrong rotation, a missing norm — moves them by
    // whole units and reorders the top.
    model.precision = Precision::Fast;
    let fast = run(&model);
    assert!(worst(&fast) < 0.5, "fast: max |Δ log p| {}", worst(&fast));
    // (The reference's 4th and 5th tokens are 0.06 apart.)
    assert_eq!(top(&fast, 4), top(&reference, 4));
    assert_eq!(top(&reference, 1), vec![7042]);
}

#[test]
fn greedy_generation_continues_with_paris() {
    let out = vecspace(&["lm", "generate", "--prompt", "The capital of France is", "--max-tokens", "12"]).ok();
    // llama.cpp's greedy text for the same file and prompt begins the same way.
    assert!(out.starts_with(" Paris.\n\nThe United States"), "{out:?}");
    // Sampling with a seed is reproducible, and differs from greedy.
    let sampled = |seed: &str| {
        let args = ["lm", "generate", "--prompt", "Once upon a time", "--max-tokens", "16", "--temperature", "1.0"];
        vecspace(&[&args[..], &["--top-p", "0.95", "--seed", seed]].concat()).ok()
    };
    assert_eq!(sampled("3"), sampled("3"));
    assert_ne!(sampled("3"), sampled("4"));
    // With the chat template the model answers and ends its turn (<|im_end|>) by itself.
    let chat = vecspace(&["lm", "generate", "--chat", "--prompt", "What is 2 + 2?", "--max-tokens", "48"]);
    assert_eq!(chat.code, 0, "{}", chat.stderr);
    assert!(chat.stdout.contains('4'), "{:?}", chat.stdout);
    let generated: usize = chat.stderr.split(" generated").next().unwrap().rsplit(' ').next().unwrap().parse().unwrap();
    assert!(generated < 48, "{}", chat.stderr);
    let cases: [(&[&str], &str); 4] = [
        (&["lm", "generate", "--prompt", "x", "--max-tokens", "0"], "--max-tokens"),
        (&["lm", "generate", "--prompt", "x", "--temperature", "-1"], "--temperature"),
        (&["lm", "generate", "--prompt", "x", "--top-p", "1.5"], "--top-p"),
        (&["lm", "generate", "--prompt", "x", "--model", "gpt-5"], "unknown language model"),
    ];
    for (args, expected) in cases {
        let err = vecspace(args).fails();
        assert!(err.contains(expected), "{args:?}: {err}");
    }
}

//! Each architecture on a small random-weight file written by the `gguf` package with the real
//! tensor names and a mix of tensor types (tests/reference/tiny_models.py), against that script's
//! NumPy float64 forward pass: every position's logits, computed exactly and with the products'
//! inputs rounded to 8 bits as the fast path does.

use std::path::PathBuf;

use vecspace_lm::{Architecture, Gguf, Model, NoHook, Precision};

const TOKENS: [u32; 12] = [1, 17, 200, 42, 42, 5, 255, 128, 64, 9, 250, 3];
const VOCAB: usize = 256;

fn golden(name: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/golden")).join(name)
}

/// The reference logits, one row per position: exact, then with 8-bit product inputs.
fn reference(arch: &str) -> (Vec<Vec<f32>>, Vec<Vec<f32>>) {
    let bytes = std::fs::read(golden(&format!("tiny-{arch}-logits.npy"))).unwrap();
    // A version 1 header: magic, version, a little-endian u16 length, then the header text.
    let header = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
    let values: Vec<f32> =
        bytes[10 + header..].chunks_exact(4).map(|b| f32::from_le_bytes(b.try_into().unwrap())).collect();
    assert_eq!(values.len(), 2 * TOKENS.len() * VOCAB);
    let mut rows: Vec<Vec<f32>> = values.chunks(VOCAB).map(<[f32]>::to_vec).collect();
    let rounded = rows.split_off(TOKENS.len());
    (rows, rounded)
}

fn run(model: &Model) -> Vec<Vec<f32>> {
    let mut cache = model.new_cache();
    TOKENS.iter().map(|&token| model.forward(token, &mut cache, &mut NoHook, true).unwrap().unwrap()).collect()
}

fn check(arch: &str, expected: Architecture) {
    let file = Gguf::open(&golden(&format!("tiny-{arch}.gguf"))).unwrap();
    let mut model = Model::load(&file).unwrap();
    assert_eq!(model.config.architecture, expected);
    let (exact, rounded) = reference(arch);
    model.precision = Precision::Exact;
    for (position, (got, want)) in run(&model).iter().zip(&exact).enumerate() {
        let worst = got.iter().zip(want).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
        assert!(worst < 1e-4, "{arch} exact, position {position}: max |Δ logit| {worst}");
    }
    // Random weights amplify the 8-bit rounding of the products' inputs (by up to 2.2 in these
    // logits), so the fast path is held to the reference that rounds them as ggml does; what
    // remains is f32 arithmetic and the odd query, key or value that lands on the other f16
    // neighbour (0.018 at most, measured; under 2e-4 elsewhere).
    model.precision = Precision::Fast;
    for (position, (got, want)) in run(&model).iter().zip(&rounded).enumerate() {
        let worst = got.iter().zip(want).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
        assert!(worst < 0.05, "{arch} fast, position {position}: max |Δ logit| {worst}");
    }
}

/// A prompt run as one batch gives the same last logits, the same hook calls and the same cache
/// as the tokens run one at a time.
#[test]
fn batches_equal_tokens_one_at_a_time() {
    struct Record(Vec<(usize, usize, Vec<f32>)>);
    impl vecspace_lm::Hook for Record {
        fn after_block(&mut self, layer: usize, position: usize, residual: &mut [f32]) {
            self.0.push((layer, position, residual.to_vec()));
        }
    }
    for arch in ["llama", "qwen2", "qwen3", "gemma3"] {
        let file = Gguf::open(&golden(&format!("tiny-{arch}.gguf"))).unwrap();
        let mut model = Model::load(&file).unwrap();
        for precision in [Precision::Fast, Precision::Exact] {
            model.precision = precision;
            let (mut one, mut batch) = (Record(Vec::new()), Record(Vec::new()));
            let mut cache = model.new_cache();
            let mut logits = None;
            for &token in &TOKENS {
                logits = model.forward(token, &mut cache, &mut one, true).unwrap();
            }
            // Five tokens, then the other seven: a batch after a cache already holding some.
            let mut batched = model.new_cache();
            model.forward_batch(&TOKENS[..5], &mut batched, &mut batch, false).unwrap();
            let last = model.forward_batch(&TOKENS[5..], &mut batched, &mut batch, true).unwrap();
            assert_eq!(last, logits, "{arch} {precision:?}");
            assert_eq!(batched.len, TOKENS.len());
            // The same residuals for every (layer, position), called position by position within a layer.
            let key = |r: &(usize, usize, Vec<f32>)| (r.1, r.0);
            one.0.sort_by_key(key);
            batch.0.sort_by_key(key);
            assert_eq!(one.0, batch.0, "{arch} {precision:?}");
        }
    }
    let file = Gguf::open(&golden("tiny-llama.gguf")).unwrap();
    let model = Model::load(&file).unwrap();
    let mut cache = model.new_cache();
    assert!(model.forward_batch(&[], &mut cache, &mut NoHook, true).is_err());
    assert!(model.forward_batch(&vec![1; 65], &mut cache, &mut NoHook, true).unwrap_err().to_string().contains("full"));
}

#[test]
fn llama_with_rope_frequency_factors() {
    check("llama", Architecture::Llama);
}

#[test]
fn qwen2_with_attention_biases() {
    check("qwen2", Architecture::Qwen2);
}

#[test]
fn qwen3_with_qk_norm_and_its_own_head_size() {
    check("qwen3", Architecture::Qwen3);
}

#[test]
fn gemma3_with_sliding_windows_and_post_norms() {
    let file = Gguf::open(&golden("tiny-gemma3.gguf")).unwrap();
    let model = Model::load(&file).unwrap();
    // Layers 0–4 slide over 4 positions, layer 5 attends to all, layer 6 slides again.
    let sliding: Vec<bool> = (0..7).map(|layer| model.config.is_sliding(layer)).collect();
    assert_eq!(sliding, [true, true, true, true, true, false, true]);
    assert_eq!(model.config.sliding_window, Some(4));
    check("gemma3", Architecture::Gemma3);
}

#[test]
fn unsupported_architectures_and_tensor_types_are_named() {
    let dir = tempfile::tempdir().unwrap();
    // An architecture vecspace does not run: the error names the file, the value and the choices.
    let phi = dir.path().join("phi.gguf");
    let metadata = [("general.architecture", vecspace_lm::gguf::Value::String("phi3".into()))];
    vecspace_lm::gguf::write_f32(&phi, &metadata, &[("token_embd.weight".into(), vec![0.0; 4])]).unwrap();
    let err = Model::load(&Gguf::open(&phi).unwrap()).err().unwrap().to_string();
    assert!(err.contains("phi.gguf") && err.contains("\"phi3\""), "{err}");
    assert!(err.contains("llama, qwen2, qwen3, gemma3"), "{err}");
    // A tensor type vecspace does not read (Q2_K, id 10), patched into a real file's header.
    let mut bytes = std::fs::read(golden("tiny-llama.gguf")).unwrap();
    let name = b"token_embd.weight";
    let at = bytes.windows(name.len()).position(|w| w == name).unwrap() + name.len();
    // After the name: the rank (u32), the dimensions (u64 each), then the type (u32).
    let rank = u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
    let type_at = at + 4 + 8 * rank;
    assert_eq!(u32::from_le_bytes(bytes[type_at..type_at + 4].try_into().unwrap()), 8, "Q8_0 in the file");
    bytes[type_at..type_at + 4].copy_from_slice(&10u32.to_le_bytes());
    let patched = dir.path().join("q2k.gguf");
    std::fs::write(&patched, bytes).unwrap();
    let err = Gguf::open(&patched).err().unwrap().to_string();
    assert!(err.contains("q2k.gguf") && err.contains("token_embd.weight") && err.contains("type 10 (Q2_K)"), "{err}");
    assert!(err.contains("Q4_K, Q5_K, Q6_K, BF16"), "{err}");
}

/// Perplexity read in batches, with the output matrix applied to many positions at once, equals
/// the sum of each position's surprise read a token at a time (40 tokens: logits in three groups).
#[test]
fn batched_perplexity_equals_token_by_token() {
    let tokens: Vec<u32> = TOKENS.iter().cycle().take(40).copied().collect();
    for arch in ["llama", "gemma3"] {
        let file = Gguf::open(&golden(&format!("tiny-{arch}.gguf"))).unwrap();
        let mut model = Model::load(&file).unwrap();
        for precision in [Precision::Fast, Precision::Exact] {
            model.precision = precision;
            let mut cache = model.new_cache();
            let mut total = 0.0;
            for (i, &token) in tokens[..tokens.len() - 1].iter().enumerate() {
                let logits = model.forward(token, &mut cache, &mut NoHook, true).unwrap().unwrap();
                let max = logits.iter().fold(f32::NEG_INFINITY, |m, v| m.max(*v));
                let log_sum = logits.iter().map(|v| f64::from(v - max).exp()).sum::<f64>().ln() + f64::from(max);
                total += log_sum - f64::from(logits[tokens[i + 1] as usize]);
            }
            let one_at_a_time = total / (tokens.len() - 1) as f64;
            let batched = vecspace_lm::steer::mean_nll(&model, &tokens, &mut NoHook).unwrap();
            assert_eq!(batched, one_at_a_time, "{arch} {precision:?}");
        }
    }
}

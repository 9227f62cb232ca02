//! The language model, fetched for real: tokenizer, forward pass and generation against
//! independent references (tests/reference/smollm2_*.py) and llama.cpp's known output.

use std::path::PathBuf;
use std::sync::OnceLock;

use vecspace::lm::quant::QMatrix;
use vecspace::lm::{Gguf, Model, NoHook, Precision, Tokenizer};

use crate::support::vecspace;

/// A registry entry's file, fetched into the cache by the binary.
fn fetched(name: &str) -> PathBuf {
    let out = vecspace(&["fetch", name]).ok();
    PathBuf::from(out.lines().last().unwrap().rsplit(" in ").next().unwrap())
}

/// The SmolLM2 model file, fetched on first use.
pub(crate) fn model_path() -> &'static PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| fetched("smollm2-135m"))
}

/// The Gemma 3 270M model file (Q4_K_M), fetched on first use.
pub(crate) fn gemma_path() -> &'static PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| fetched("gemma3-270m"))
}

/// Tensors of every type the two real files use, against the `gguf` package's dequantisation
/// (tests/reference/gguf_dequant.py): chosen rows to the last bit, and the whole tensor's sum and
/// sum of squares, so that every block is read.
#[test]
fn real_tensors_dequantize_as_the_gguf_package_does() {
    let golden = Gguf::open(&golden("quant-types.gguf")).unwrap();
    let mut checked = std::collections::BTreeSet::new();
    for (tag, path) in [("gemma3", gemma_path()), ("smollm2", model_path())] {
        let file = Gguf::open(path).unwrap();
        let prefix = format!("{tag}/");
        let names: Vec<String> = golden
            .metadata
            .keys()
            .filter_map(|key| key.strip_prefix(&prefix)?.strip_suffix(".type").map(str::to_owned))
            .collect();
        assert!(names.len() >= 3, "{tag}: {names:?}");
        for name in names {
            let info = file.tensor(&name).unwrap();
            let (rows, columns) = info.rows_and_columns();
            let m = QMatrix::new(info.kind, rows, columns, file.bytes(info).to_vec()).unwrap();
            let key = |suffix: &str| format!("{tag}/{name}{suffix}");
            assert_eq!(format!("{:?}", m.kind), golden.get_str(&key(".type")).unwrap());
            checked.insert(m.kind);
            let expected = golden.tensor(&key("")).unwrap();
            let expected: Vec<f32> =
                golden.bytes(expected).chunks_exact(4).map(|b| f32::from_le_bytes(b.try_into().unwrap())).collect();
            let picked = golden.get(&key(".rows")).unwrap().as_array().unwrap().to_u64s().unwrap();
            for (i, &r) in picked.iter().enumerate() {
                assert_eq!(
                    m.dequantize_row(r as usize),
                    expected[i * columns..(i + 1) * columns],
                    "{tag} {name} row {r}"
                );
            }
            let (mut sum, mut squares) = (0.0f64, 0.0f64);
            for r in 0..rows {
                for v in m.dequantize_row(r) {
                    sum += f64::from(v);
                    squares += f64::from(v) * f64::from(v);
                }
            }
            // Only the order of the f64 additions differs from NumPy's.
            let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * squares.max(1.0);
            assert!(close(sum, golden.get_f64(&key(".sum")).unwrap()), "{tag} {name}: sum {sum}");
            assert!(close(squares, golden.get_f64(&key(".sum_of_squares")).unwrap()), "{tag} {name}: {squares}");
        }
    }
    use vecspace::lm::quant::GgmlType::*;
    assert_eq!(checked, [Q4_1, Q5_0, Q8_0, Q4_K, Q6_K].into_iter().collect());
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
    // No BOS in this file: activations are read after the document separator.
    let (prefix, ids) = tokenizer.encode_for_reading("The capital of France is").unwrap();
    assert_eq!((prefix, ids), (vec![0], vec![504, 3575, 282, 4649, 314]));
    assert!(tokenizer.is_control(2) && !tokenizer.is_control(7042));
}

/// The last position's logits for the France prompt against the NumPy float64 forward pass on
/// dequantised weights.
#[test]
fn logits_match_the_numpy_reference() {
    let file = Gguf::open(model_path()).unwrap();
    let mut model = Model::load(&file).unwrap();
    let reference = vecspace::formats::npy::read_vectors(&golden("smollm2-logits.npy"), 49152, 1).unwrap().remove(0);
    let prompt = [504, 3575, 282, 4649, 314];
    // Exact products: only f32 rounding separates the two.
    model.precision = Precision::Exact;
    let raw = largest_difference(&last_logits(&model, &prompt), &reference);
    assert!(raw < 2e-3, "exact: max |Δ logit| {raw}");
    // llama.cpp's scheme rounds the input of every product to 8 bits per block of 32 (up to 0.4 %
    // of the block's largest value, the step itself stored as f16); over 211 products the likely
    // tokens' log-probabilities move by up to 0.50 (measured). A real mistake — a wrong rotation,
    // a missing norm — moves them by whole units and reorders the top. (The tiny models of
    // crates/lm/tests/architectures.rs hold the fast path to a reference that rounds as ggml does.)
    model.precision = Precision::Fast;
    let fast = last_logits(&model, &prompt);
    let worst = worst_likely(&fast, &reference);
    assert!(worst < 0.75, "fast: max |Δ log p| {worst}");
    // (The reference's 4th and 5th tokens are 0.06 apart.)
    assert_eq!(top(&fast, 4), top(&reference, 4));
    assert_eq!(top(&reference, 1), vec![7042]);
}

#[test]
fn gemma_tokenizer_matches_sentencepiece() {
    let file = Gguf::open(gemma_path()).unwrap();
    let tokenizer = Tokenizer::from_gguf(&file).unwrap();
    let cases: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(golden("gemma3-tokens.json")).unwrap()).unwrap();
    for case in cases.as_array().unwrap() {
        let text = case["text"].as_str().unwrap();
        let expected: Vec<u32> = case["ids"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap() as u32).collect();
        let ids = tokenizer.encode(text).unwrap();
        // The file asks for BOS in front; SentencePiece's ids follow it.
        assert_eq!(ids[0], 2, "{text:?}");
        assert_eq!(ids[1..], expected, "{text:?}");
        // SentencePiece writes a space as ▁, so a ▁ in the text comes back as a space.
        assert_eq!(tokenizer.decode(&ids[1..]), text.replace('\u{2581}', " "));
    }
    // Control tokens written in the text are recognised, as llama.cpp does with prompts.
    let turn = tokenizer.encode("<start_of_turn>user\nHi<end_of_turn>").unwrap();
    assert_eq!(tokenizer.token_text(turn[1]), "<start_of_turn>");
    assert!(tokenizer.is_control(turn[1]) && tokenizer.is_control(*turn.last().unwrap()));
    assert_eq!(tokenizer.token_text(16107), "▁Au");
    // Activations are read after the BOS token, positions counting the prompt's own tokens.
    let (prefix, ids) = tokenizer.encode_for_reading("The chemical symbol for gold is").unwrap();
    assert_eq!((prefix, ids), (vec![2], vec![818, 7395, 5404, 573, 5122, 563]));
    let out = vecspace(&["lm", "activations", "--model", "gemma3-270m", "--prompt", "gold", "--layers", "3..4"]).ok();
    assert!(out.starts_with("block  norm of the residual stream, averaged over 1 tokens, after <bos>"), "{out}");
}

/// Gemma 3's last-position logits for "The chemical symbol for gold is" against the NumPy float64
/// forward pass (tests/reference/gemma3_reference.py).
#[test]
fn gemma_logits_match_the_numpy_reference() {
    let file = Gguf::open(gemma_path()).unwrap();
    let mut model = Model::load(&file).unwrap();
    assert_eq!(model.config.architecture, vecspace::lm::Architecture::Gemma3);
    let reference = vecspace::formats::npy::read_vectors(&golden("gemma3-logits.npy"), 262_144, 1).unwrap().remove(0);
    let prompt = [2, 818, 7395, 5404, 573, 5122, 563];
    model.precision = Precision::Exact;
    let raw = largest_difference(&last_logits(&model, &prompt), &reference);
    assert!(raw < 2e-3, "exact: max |Δ logit| {raw}");
    // Inputs to every product rounded as ggml rounds them (blocks of 32 with an f16 step for the
    // Q5_0 and Q8_0 matrices, super-blocks of 256 for the K-quants): the likely tokens'
    // log-probabilities move by up to 0.57 (measured); a real mistake moves them by whole units.
    model.precision = Precision::Fast;
    let fast = last_logits(&model, &prompt);
    let worst = worst_likely(&fast, &reference);
    assert!(worst < 0.8, "fast: max |Δ log p| {worst}");
    assert_eq!(top(&reference, 1), vec![16107]);
    assert_eq!(top(&fast, 3), top(&reference, 3));
}

/// The last position's logits after running `prompt` one token at a time.
fn last_logits(model: &Model, prompt: &[u32]) -> Vec<f32> {
    let mut cache = model.new_cache();
    let mut logits = None;
    for (i, &token) in prompt.iter().enumerate() {
        logits = model.forward(token, &mut cache, &mut NoHook, i + 1 == prompt.len()).unwrap();
    }
    logits.unwrap()
}

fn largest_difference(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0f32, f32::max)
}

/// The largest error in log-probability among the tokens the reference finds likely (above −10).
fn worst_likely(logits: &[f32], reference: &[f32]) -> f64 {
    let (got, expected) = (log_softmax(logits), log_softmax(reference));
    got.iter().zip(&expected).filter(|(_, e)| **e > -10.0).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max)
}

/// The `k` largest logits' tokens, largest first.
fn top(logits: &[f32], k: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..logits.len()).collect();
    order.sort_by(|&a, &b| logits[b].total_cmp(&logits[a]));
    order.truncate(k);
    order
}

/// Log-probabilities: logits are defined up to a shift, which quantisation moves a little.
fn log_softmax(logits: &[f32]) -> Vec<f64> {
    let max = logits.iter().fold(f32::NEG_INFINITY, |m, v| m.max(*v));
    let sum: f64 = logits.iter().map(|v| f64::from(v - max).exp()).sum();
    logits.iter().map(|v| f64::from(v - max) - sum.ln()).collect()
}

#[test]
fn gemma_greedy_generation_names_gold() {
    let out = vecspace(&[
        "lm",
        "generate",
        "--model",
        "gemma3-270m",
        "--prompt",
        "The chemical symbol for gold is",
        "--max-tokens",
        "8",
    ])
    .ok();
    // The NumPy reference's greedy continuation, and llama.cpp's on the same file.
    assert!(out.starts_with(" Au.\n\nThe formula for gold is"), "{out:?}");
}

#[test]
fn a_vector_built_on_one_model_does_not_steer_another() {
    let dir = crate::support::temp_dir();
    let vector = dir.path().join("smol.gguf");
    let path = vector.to_str().unwrap();
    vecspace(&["lm", "vector", "build", "--positive", "Love", "--negative", "Hate", "--out", path]).ok();
    let shown = vecspace(&["lm", "vector", "show", path]).ok();
    assert!(shown.contains("built on Smollm2 135M 8k Lc100K Mix1 Ep2 (llama, 30 layers × 576)"), "{shown}");
    // llama.cpp would run unsteered; here the width mismatch is an error naming both models.
    let steer = format!("{path}:4");
    let args = ["lm", "generate", "--model", "gemma3-270m", "--prompt", "x", "--steer", &steer];
    let err = vecspace(&args).fails();
    assert!(err.contains("has 576 values; this model's width is 640"), "{err}");
    assert!(err.contains("built on Smollm2") && err.contains("Gemma 3 270m (gemma3, 18 layers × 640)"), "{err}");
}

/// Each file's chat format: SmolLM2's template is ChatML with its default system message; Gemma
/// 3's file has no template, and its `<start_of_turn>` tokens say which format the family uses.
/// (This Gemma file is the pretrained model, not the instruction-tuned one: given a chat turn it
/// repeats the question, as llama.cpp's text on the same prompt shows; the prompt's tokens are
/// what is checked.)
#[test]
fn each_model_chats_in_its_own_format() {
    use vecspace::lm::tokenizer::{ChatFormat, DEFAULT_SYSTEM};
    let formats: Vec<ChatFormat> = [model_path(), gemma_path()]
        .iter()
        .map(|path| {
            let file = Gguf::open(path).unwrap();
            let tokenizer = Tokenizer::from_gguf(&file).unwrap();
            ChatFormat::of(&file, &tokenizer).unwrap()
        })
        .collect();
    assert_eq!(formats, [ChatFormat::ChatMl { system: Some(DEFAULT_SYSTEM.to_owned()) }, ChatFormat::Gemma]);
    assert_eq!(formats[1].prompt("Hi"), "<start_of_turn>user\nHi<end_of_turn>\n<start_of_turn>model\n");
    let file = Gguf::open(gemma_path()).unwrap();
    let tokenizer = Tokenizer::from_gguf(&file).unwrap();
    let ids = tokenizer.encode(&formats[1].prompt("What is the capital of France?")).unwrap();
    // `llama-tokenize` on the same file and text: BOS, <start_of_turn>, "user", "\n", …
    let llama_cpp = [2, 105, 2364, 107, 3689, 563, 506, 5279, 529, 7001, 236881, 106, 107, 105, 4368, 107];
    assert_eq!(ids, llama_cpp);
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

/// A Python with PyPI's `gguf` package (the library llama.cpp's and repeng's scripts use),
/// installed once under the target directory at pinned versions.
fn python_with_gguf() -> &'static std::path::Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("python-gguf");
        if !dir.join("gguf").exists() {
            let status = std::process::Command::new("python3")
                .env("PIP_ROOT_USER_ACTION", "ignore")
                .args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-deps", "--target"])
                .arg(&dir)
                .args(["gguf==0.19.0", "numpy==2.3.5", "pyyaml==6.0.3", "tqdm==4.67.1"])
                .status()
                .expect("python3 runs");
            assert!(status.success(), "installing the gguf package failed (is PyPI reachable?)");
        }
        dir
    })
}

fn interop(mode: &str, file: &std::path::Path) -> String {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/interop/gguf_control_vector.py");
    let out = std::process::Command::new("python3")
        .env("PYTHONPATH", python_with_gguf())
        .args([script, mode])
        .arg(file)
        .output()
        .expect("python3 runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn control_vectors_interoperate_with_the_gguf_package() {
    use vecspace::lm::steer::ControlVector;
    let dir = crate::support::temp_dir();
    let ours = dir.path().join("love.gguf");
    vecspace(&["lm", "vector", "build", "--positive", "Love", "--negative", "Hate", "--out", ours.to_str().unwrap()])
        .ok();
    // Read by the gguf package: every check llama.cpp makes passes, and the values agree.
    let checked = interop("check", &ours);
    let vector = ControlVector::read(&ours).unwrap();
    assert_eq!(vector.layers.len(), 29);
    for (layer, values) in &vector.layers {
        let sum: f64 = values.iter().map(|&v| f64::from(v)).sum();
        let line = checked.lines().find(|l| l.starts_with(&format!("direction.{layer} "))).unwrap();
        let theirs: f64 = line.rsplit(' ').next().unwrap().parse().unwrap();
        assert!((sum - theirs).abs() < 1e-3 * (1.0 + sum.abs()), "layer {layer}: {sum} vs {theirs}");
    }
    assert!(checked.contains("model_hint llama"));
    // Written by the gguf package as repeng does, read here value for value.
    let theirs = dir.path().join("theirs.gguf");
    interop("write", &theirs);
    let read = ControlVector::read(&theirs).unwrap();
    assert_eq!(read.layers.len(), 29);
    assert_eq!(&read.layers[&7][..2], &[7.0, 7.5]);
    assert_eq!(read.layers[&7][575], -1.0);
    let shown = vecspace(&["lm", "vector", "show", theirs.to_str().unwrap()]).ok();
    assert!(shown.starts_with("29 layers, width 576"), "{shown}");
}

/// Love − Hate from the single pair (ActAdd) and from eight sentence pairs (CAA): adding
/// the vector makes the continuations of neutral prompts more positive, by a lexicon's count.
#[test]
fn steering_makes_continuations_more_positive() {
    let dir = crate::support::temp_dir();
    let pairs = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/steering/love-hate.jsonl");
    let vector = dir.path().join("caa.gguf");
    let vector = vector.to_str().unwrap();
    vecspace(&["lm", "vector", "build", "--pairs", pairs, "--out", vector]).ok();
    let prompts = dir.path().join("prompts.txt");
    let all = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/steering/neutral-prompts.txt"))
        .unwrap();
    std::fs::write(&prompts, all.lines().take(8).collect::<Vec<_>>().join("\n")).unwrap();
    let neutral = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/steering/neutral-text.txt");
    let rows = vecspace(&[
        "--json",
        "lm",
        "evaluate",
        "--vector",
        vector,
        "--prompts",
        prompts.to_str().unwrap(),
        "--neutral",
        neutral,
        "--coefficients=-2,0,2",
        "--layers",
        "6",
        "--max-tokens",
        "16",
    ])
    .json();
    let score = |i: usize| rows[i]["mean_score"].as_f64().unwrap();
    let perplexity = |i: usize| rows[i]["perplexity"].as_f64().unwrap();
    assert!(score(2) > score(1) + 0.5, "{rows}");
    assert!(score(0) < score(1), "{rows}");
    // Steering this gently leaves neutral text about as predictable (within 30 %).
    assert!(perplexity(2) < 1.3 * perplexity(1) && perplexity(0) < 1.3 * perplexity(1), "{rows}");
    // The same vector in generate, and the ends of the vector read as words.
    let day = |extra: &[&str]| {
        let base = ["lm", "generate", "--prompt", "I think that my day was", "--max-tokens", "16"];
        vecspace(&[&base[..], extra].concat()).ok()
    };
    let steer = format!("{vector}:2");
    let steered = day(&["--steer", &steer, "--layers", "6"]);
    let plain = day(&[]);
    assert_ne!(steered, plain);
    // repeng's PCA of the differences points the same way as their mean, layer by layer.
    let pca = dir.path().join("pca.gguf");
    let pca = pca.to_str().unwrap();
    vecspace(&["lm", "vector", "build", "--pairs", pairs, "--method", "pca-diff", "--normalize", "--out", pca]).ok();
    let (mean, principal) = (
        vecspace::lm::steer::ControlVector::read(std::path::Path::new(vector)).unwrap(),
        vecspace::lm::steer::ControlVector::read(std::path::Path::new(pca)).unwrap(),
    );
    let agreeing = (1..=29)
        .filter(|layer| {
            let (a, b) = (&mean.layers[layer], &principal.layers[layer]);
            a.iter().zip(b).map(|(x, y)| x * y).sum::<f32>() > 0.0
        })
        .count();
    assert!(agreeing >= 25, "only {agreeing} of 29 layers agree in sign");
    let length: f32 = principal.layers[&9].iter().map(|x| x * x).sum::<f32>().sqrt();
    assert!((length - 1.0).abs() < 1e-4);
    // Two vectors at once: their scaled sum is added.
    let both = day(&["--steer", &format!("{vector}:1"), &format!("{pca}:4"), "--layers", "6"]);
    assert_ne!(both, plain);
    let only_generated = day(&["--steer", &steer, "--layers", "6", "--generated-only"]);
    assert_ne!(only_generated, plain);
    let cost = vecspace(&[
        "lm",
        "perplexity",
        "--text",
        &std::fs::read_to_string(neutral).unwrap(),
        "--steer",
        &format!("{vector}:2"),
        "--layers",
        "6",
    ])
    .ok();
    assert!(cost.starts_with("unsteered  perplexity") && cost.contains("steered    perplexity"), "{cost}");
    let text = std::fs::read_to_string(neutral).unwrap();
    let args = ["lm", "perplexity", "--json", "--text", &text, "--steer", &format!("{vector}:2"), "--layers", "6"];
    let report = vecspace(&args).json();
    let shown = |label: &str| -> f64 {
        let line = cost.lines().find(|l| l.starts_with(label)).unwrap();
        line.split_whitespace().nth(2).unwrap().parse().unwrap()
    };
    assert!((report["perplexity"].as_f64().unwrap() - shown("unsteered")).abs() < 1e-3, "{report}");
    assert!((report["steered_perplexity"].as_f64().unwrap() - shown("steered")).abs() < 1e-3, "{report}");
    assert!(report["tokens"].as_u64().unwrap() > 50, "{report}");
    let words = vecspace(&["lm", "nearest-tokens", vector, "--layer", "20", "--top", "10"]).ok();
    let negative = words.lines().find(|l| l.contains("embeddings, − end")).unwrap();
    assert!(["foul", "worse", "ugly", "attacks"].iter().any(|w| negative.contains(w)), "{words}");
}

#[test]
fn activations_perplexity_and_bad_input() {
    use vecspace::lm::steer::ControlVector;
    let dir = crate::support::temp_dir();
    let npy = dir.path().join("acts.npy");
    vecspace(&["lm", "activations", "--prompt", "Hello there", "--layers", "0..3", "--out", npy.to_str().unwrap()])
        .ok();
    let rows = vecspace::formats::npy::read_vectors(&npy, 576, 10).unwrap();
    assert_eq!(rows.len(), 4);
    let norms = vecspace(&["lm", "activations", "--prompt", "Hello there", "--layers", "5"]).ok();
    assert!(norms.lines().nth(1).unwrap().trim_start().starts_with("5 "), "{norms}");
    // A vector of the wrong width, layers out of range, and files that are not what they claim.
    let narrow = dir.path().join("narrow.gguf");
    let mut vector = ControlVector::default();
    vector.layers.insert(3, vec![1.0; 100]);
    vector.write(&narrow, "llama").unwrap();
    let narrow = narrow.to_str().unwrap();
    let only_third = dir.path().join("third.gguf");
    let mut vector = ControlVector::default();
    vector.layers.insert(3, vec![0.5; 576]);
    vector.write(&only_third, "llama").unwrap();
    let only_third = only_third.to_str().unwrap();
    let ones = dir.path().join("ones.gguf");
    let mut vector = ControlVector::default();
    vector.layers.insert(3, vec![1.0; 576]);
    vector.layers.insert(4, vec![1.0; 576]);
    vector.write(&ones, "llama").unwrap();
    let (overflowing, breaking) = (format!("{}:1e39", ones.display()), format!("{}:3e38", ones.display()));
    let model = model_path().to_str().unwrap();
    let long = "word ".repeat(9000);
    let fresh = dir.path().join("fresh.gguf").to_str().unwrap().to_owned();
    let cases: [(&[&str], &str); 13] = [
        // Coefficients whose sums or activations single precision cannot hold stop with an error.
        (&["lm", "generate", "--prompt", "x", "--steer", &overflowing], "is not finite"),
        (&["lm", "generate", "--prompt", "x", "--steer", &format!("{}:3e38", ones.display()), &breaking], "overflow"),
        (&["lm", "generate", "--prompt", "x", "--steer", &breaking], "after block 4 holds infinite or NaN values"),
        (&["lm", "generate", "--prompt", "x", "--steer", narrow], "has 100 values; this model's width is 576"),
        (&["lm", "generate", "--prompt", "x", "--steer", only_third, "--layers", "6"], "no layer in 6..6"),
        (&["lm", "generate", "--prompt", "x", "--steer", &format!("{narrow}:2"), "--layers", "0..40"], "out of range"),
        (&["lm", "generate", "--prompt", ""], "the prompt is empty"),
        (&["lm", "generate", "--prompt", &long], "exceeds the context of 8192"),
        (&["lm", "vector", "show", model], "not a control vector"),
        (&["lm", "activations", "--prompt", "x", "--layers", "0..30"], "out of range"),
        (&["lm", "vector", "build", "--positive", "a", "--out", narrow], "--negative"),
        (
            &["lm", "activations", "--prompt", "Hello there", "--position", "9999"],
            "position 9999 is past the prompt's end",
        ),
        (
            &["lm", "vector", "build", "--positive", "Same", "--negative", "Same", "--out", &fresh],
            "give the same activations",
        ),
    ];
    for (args, expected) in cases {
        let err = vecspace(args).fails();
        assert!(err.contains(expected), "{args:?}: {err}");
    }
    // A truncated model file is an error naming it, wherever the cut falls.
    let bytes = std::fs::read(model_path()).unwrap();
    let cut = dir.path().join("cut.gguf");
    for len in [100, 1_000_000, bytes.len() - 1] {
        std::fs::write(&cut, &bytes[..len]).unwrap();
        let err = Gguf::open(&cut).expect_err("a truncated file is refused").to_string();
        assert!(err.contains("cut.gguf") && err.contains("truncated"), "{len}: {err}");
    }
    // A GGUF of another architecture is not a model.
    let err = Model::load(&Gguf::open(std::path::Path::new(narrow)).unwrap()).err().unwrap().to_string();
    assert!(err.contains("architecture \"controlvector\""), "{err}");
}

/// The model's input embeddings answer the word-space commands, tokens as words.
#[test]
fn token_embeddings_are_a_space() {
    model_path();
    let out =
        vecspace(&["--space", "smollm2-135m:embeddings", "--json", "query", "Ġking - Ġman + Ġwoman", "-k", "3"]).json();
    assert_eq!(out["results"][0]["word"], "Ġqueen", "{out}");
    let err = vecspace(&["--space", "gpt-9:embeddings", "info"]).fails();
    assert!(err.contains("unknown language model"), "{err}");
}

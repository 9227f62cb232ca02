//! Sentences per second for the sentence encoder on one and two threads, against the floor set
//! by the machine's own matrix-product rate measured in the same run.
//!
//! The encoder's work is almost all matrix products: per token and layer, 4·h² (query, key,
//! value, output) and 2·h·i (the feed-forward) multiply-adds, plus attention's 2·t·h for a text of
//! t tokens. The floor is that count divided by the rate `gemm` reaches on one large product
//! (2048 × 384 × 1536) with the same threads: no encoder can beat it with these kernels.
//!
//!     cargo run --release -p vecspace-text --example sentence_speed -- SENTENCES.txt
//!
//! `bench/sentence_speed.sh` makes SENTENCES.txt (10 000 sentences from gensim's test corpora) and
//! runs this.

use std::time::Instant;

use vecspace_core::progress::Silent;
use vecspace_text::SentenceEncoder;
use vecspace_text::kernels::linear;

/// Multiply-adds per second of one large product through the encoder's own matrix kernel, on the
/// current rayon pool.
fn gemm_rate() -> f64 {
    let (m, k, n) = (2048usize, 384usize, 1536usize);
    let lhs: Vec<f32> = (0..m * k).map(|i| (i % 7) as f32 * 0.1).collect();
    let rhs: Vec<f32> = (0..k * n).map(|i| (i % 5) as f32 * 0.1).collect();
    let mut dst = vec![0.0f32; m * n];
    linear(&lhs, m, k, &rhs, n, &mut dst);
    let repetitions = 30;
    let started = Instant::now();
    for _ in 0..repetitions {
        linear(&lhs, m, k, &rhs, n, &mut dst);
    }
    (m * k * n * repetitions) as f64 / started.elapsed().as_secs_f64()
}

fn main() {
    let path = std::env::args().nth(1).expect("usage: sentence_speed SENTENCES.txt");
    let text = std::fs::read_to_string(&path).expect("the sentences");
    let sentences: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let cache = vecspace_fetch::Cache::from_env().expect("a cache");
    let dir = vecspace_fetch::ensure("minilm-l6", &cache, &Silent).expect("fetching minilm-l6");
    let encoder = SentenceEncoder::load(&dir).expect("the model");
    let (h, i, layers) = (384.0f64, 1536.0f64, 6.0f64);
    let mut tokens = 0usize;
    let mut macs = 0.0f64;
    for sentence in &sentences {
        let t = encoder.tokenize(sentence).expect("a sentence with tokens").len() as f64;
        tokens += t as usize;
        macs += layers * t * (4.0 * h * h + 2.0 * h * i + 2.0 * t * h);
    }
    println!(
        "{} sentences, {tokens} tokens ({:.1} a sentence), {:.0} G multiply-adds",
        sentences.len(),
        tokens as f64 / sentences.len() as f64,
        macs / 1e9
    );
    println!("| threads | seconds | sentences/s | GFLOP/s | gemm's rate (GFLOP/s) | floor (s) | floor / time |");
    println!("|---:|---:|---:|---:|---:|---:|---:|");
    for threads in [1, 2] {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().expect("a thread pool");
        let (seconds, rate) = pool.install(|| {
            let rate = gemm_rate();
            let started = Instant::now();
            let vectors = encoder.encode_all(&sentences, &Silent).expect("embedding");
            assert_eq!(vectors.len(), sentences.len());
            (started.elapsed().as_secs_f64(), rate)
        });
        let floor = macs / rate;
        println!(
            "| {threads} | {seconds:.1} | {:.0} | {:.0} | {:.0} | {floor:.1} | {:.2} |",
            sentences.len() as f64 / seconds,
            2.0 * macs / seconds / 1e9,
            2.0 * rate / 1e9,
            floor / seconds
        );
    }
}

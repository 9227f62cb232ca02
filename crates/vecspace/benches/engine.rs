//! Benchmarks of the hot paths on the real GloVe 6B 50d space (fetched into the cache on first
//! use): opening, one query, a batch of queries, 3CosMul, parsing, the whole Google analogy
//! evaluation — and the memory floor, a plain streaming read of the same matrix, measured in the
//! same run. Also face generation, and SmolLM2-135M decoding next to its own weight-streaming floor.
//!
//! `cargo bench -p vecspace`; `bench/run.sh` also runs the gensim anchor (bench/gensim_anchor.py).

use std::hint::black_box;
use std::sync::LazyLock;

use divan::Bencher;
use vecspace::prelude::*;
use vecspace::search::{self, Scoring};

fn main() {
    divan::main();
}

static SPACE: LazyLock<Space> = LazyLock::new(|| Space::open_named("glove-6b-50d").expect("GloVe 6B 50d"));

fn pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new().num_threads(threads).build().expect("a thread pool")
}

/// The query vector of `king - man + woman` and the rows it excludes.
fn readme_query() -> (Vec<f32>, Vec<usize>) {
    let (expr, value) = SPACE.evaluate("king - man + woman", true).unwrap();
    let exclude = SPACE.input_rows(&expr);
    (value.into_vector().unwrap(), exclude)
}

#[divan::bench(sample_count = 50)]
fn open_native(bencher: Bencher) {
    let cache = vecspace::fetch::Cache::from_env().unwrap();
    let path = vecspace::fetch::ensure_space("glove-6b-50d", &cache, &vecspace::progress::Silent).unwrap();
    bencher.bench(|| vecspace::formats::native::open(black_box(&path)).unwrap());
}

/// Streaming read of the whole matrix (an integer sum of its bits, which vectorises fully): the
/// memory-bandwidth floor for one exact query.
#[divan::bench(args = [1, 2], sample_count = 50)]
fn memory_floor(bencher: Bencher, threads: usize) {
    use rayon::prelude::*;
    let data = SPACE.matrix().data();
    let pool = pool(threads);
    bencher.bench(|| {
        pool.install(|| {
            data.par_chunks(1 << 16)
                .map(|chunk| chunk.iter().fold(0u32, |sum, x| sum.wrapping_add(x.to_bits())))
                .reduce(|| 0, u32::wrapping_add)
        })
    });
}

#[divan::bench(args = [1, 2], sample_count = 50)]
fn query_top10(bencher: Bencher, threads: usize) {
    let (query, exclude) = readme_query();
    let pool = pool(threads);
    bencher
        .bench(|| pool.install(|| search::nearest(SPACE.rows(), black_box(&query), 10, Scoring::default(), &exclude)));
}

#[divan::bench(sample_count = 10)]
fn query_top10_reference(bencher: Bencher) {
    let (query, exclude) = readme_query();
    bencher.bench(|| search::nearest_reference(SPACE.rows(), black_box(&query), 10, Scoring::default(), &exclude));
}

#[divan::bench(args = [1, 2], sample_count = 5)]
fn batch_1000_queries_top10(bencher: Bencher, threads: usize) {
    let queries: Vec<f32> = (0..1000).flat_map(|row| SPACE.unit_vector(row * 37)).collect();
    let pool = pool(threads);
    bencher.counter(divan::counter::ItemsCount::new(1000usize)).bench(|| {
        pool.install(|| search::nearest_batch(SPACE.rows(), black_box(&queries), 10, Scoring::default(), &[]))
    });
}

#[divan::bench(args = [1, 2], sample_count = 30)]
fn analogy_cosmul(bencher: Bencher, threads: usize) {
    let pool = pool(threads);
    bencher.bench(|| pool.install(|| SPACE.analogy("man", "king", "woman", AnalogyMethod::Mul, 10).unwrap()));
}

#[divan::bench(sample_count = 200)]
fn parse_expression(bencher: Bencher) {
    let source = "slerp(king, queen, 0.3) + 0.5 * (happy - sad) - mean(paris, berlin, 'rome') / 2";
    bencher.bench(|| vecspace::expr::parse(black_box(source)).unwrap());
}

#[divan::bench(sample_count = 200)]
fn evaluate_expression(bencher: Bencher) {
    let expr = vecspace::expr::parse("slerp(king, queen, 0.3) + 0.5 * (happy - sad)").unwrap();
    let resolver = SPACE.resolver(true);
    bencher.bench(|| vecspace::expr::evaluate(black_box(&expr), &resolver).unwrap());
}

/// The whole Google analogy evaluation (19 544 questions, first 300 000 words), as gensim's
/// `evaluate_word_analogies` runs it; bench/run.sh times gensim on the same work.
#[divan::bench(args = ["add", "mul", "pair"], sample_count = 3)]
fn evaluate_google_analogies(bencher: Bencher, method: &str) {
    use vecspace::eval::{AnalogyOptions, evaluate_analogies, sets};
    let cache = vecspace::fetch::Cache::from_env().unwrap();
    let path = vecspace::fetch::ensure("google-analogies", &cache, &vecspace::progress::Silent).unwrap();
    let set = sets::read_google(&std::fs::read_to_string(path).unwrap()).unwrap();
    let options = AnalogyOptions { method: method.parse().unwrap(), ..AnalogyOptions::default() };
    bencher.bench(|| evaluate_analogies(&SPACE, &set, &options, &vecspace::progress::Silent).unwrap());
}

/// One 64×64 face, and a batch of 64 through the batch dimension, from the CelebA-like DCGAN.
#[divan::bench(args = [1, 64], sample_count = 10)]
fn generate_faces(bencher: Bencher, count: usize) {
    use vecspace::latent::{Checkpoint, Dcgan, dcgan, seed_latent};
    let cache = vecspace::fetch::Cache::from_env().unwrap();
    let path = vecspace::fetch::ensure("face-dcgan-celeba", &cache, &vecspace::progress::Silent).unwrap();
    let generator = Dcgan::from_checkpoint(&Checkpoint::read(&path, None).unwrap(), &dcgan::NAMED).unwrap();
    let latents: Vec<Vec<f32>> = (0..count as u64).map(|seed| seed_latent(seed, dcgan::LATENT_DIMS)).collect();
    bencher.counter(divan::counter::ItemsCount::new(count)).bench(|| generator.generate(black_box(&latents)).unwrap());
}

static LM: LazyLock<(vecspace::lm::Gguf, vecspace::lm::Model)> = LazyLock::new(|| {
    let cache = vecspace::fetch::Cache::from_env().unwrap();
    let path = vecspace::fetch::ensure("smollm2-135m", &cache, &vecspace::progress::Silent).unwrap();
    let file = vecspace::lm::Gguf::open(&path).unwrap();
    let model = vecspace::lm::Model::load(&file).unwrap();
    (file, model)
});

/// One decoded token of SmolLM2-135M (all 30 blocks and the 49 152-token output projection) after
/// a 32-token prompt — the decode speed — on 1 and 2 threads.
#[divan::bench(args = [1, 2], sample_count = 30)]
fn lm_decode_token(bencher: Bencher, threads: usize) {
    let model = &LM.1;
    let prompt: Vec<u32> = (0..32).map(|i| 504 + i * 37).collect();
    let mut cache = model.new_cache();
    for &t in &prompt {
        model.forward(t, &mut cache, &mut vecspace::lm::NoHook, false).unwrap();
    }
    let pool = pool(threads);
    bencher.bench(|| {
        let mut c = cache.clone();
        pool.install(|| model.forward(black_box(7042), &mut c, &mut vecspace::lm::NoHook, true).unwrap())
    });
}

/// A 32-token prompt processed from an empty cache (prompt tokens per second = 32 / time).
#[divan::bench(sample_count = 10)]
fn lm_prompt_32_tokens(bencher: Bencher) {
    let model = &LM.1;
    let prompt: Vec<u32> = (0..32).map(|i| 504 + i * 37).collect();
    bencher.counter(divan::counter::ItemsCount::new(32usize)).bench(|| {
        let mut cache = model.new_cache();
        for (i, &t) in prompt.iter().enumerate() {
            model.forward(t, &mut cache, &mut vecspace::lm::NoHook, i == 31).unwrap();
        }
    });
}

/// The floor for one decoded token: a streaming read of every weight byte the token touches
/// (the GGUF's tensor data, about 98 MB), one thread.
#[divan::bench(sample_count = 30)]
fn lm_weights_stream_floor(bencher: Bencher) {
    let file = &LM.0;
    let tensors: Vec<&[u8]> = file.tensors.iter().map(|t| file.bytes(t)).collect();
    bencher.bench(|| {
        let mut sum = 0u64;
        for bytes in &tensors {
            for chunk in bytes.chunks_exact(8) {
                sum = sum.wrapping_add(u64::from_le_bytes(chunk.try_into().unwrap()));
            }
        }
        black_box(sum)
    });
}

static INT8: LazyLock<vecspace::search::Int8> = LazyLock::new(|| vecspace::search::Int8::build(SPACE.rows()));

/// The README's query through the int8 engine: a quarter-size byte scan for 100 candidates, then
/// exact re-ranking — next to `query_top10` (the exact scan) and `memory_floor`.
#[divan::bench(args = [1, 2], sample_count = 50)]
fn query_top10_int8(bencher: Bencher, threads: usize) {
    use vecspace::search::SearchEngine;
    let (query, exclude) = readme_query();
    let engine = &*INT8;
    let pool = pool(threads);
    bencher.bench(|| {
        pool.install(|| engine.nearest(SPACE.rows(), black_box(&query), 10, Scoring::default(), &exclude).unwrap())
    });
}

/// Building the int8 copy of 400 000 × 50.
#[divan::bench(sample_count = 5)]
fn build_int8(bencher: Bencher) {
    bencher.bench(|| vecspace::search::Int8::build(SPACE.rows()));
}

static F16_COPY: LazyLock<vecspace::search::F16> = LazyLock::new(|| vecspace::search::F16::build(SPACE.rows()));

/// The README's query through the f16 engine (a half-size scan, then exact re-ranking).
#[divan::bench(args = [1, 2], sample_count = 50)]
fn query_top10_f16(bencher: Bencher, threads: usize) {
    use vecspace::search::SearchEngine;
    let (query, exclude) = readme_query();
    let engine = &*F16_COPY;
    let pool = pool(threads);
    bencher.bench(|| {
        pool.install(|| engine.nearest(SPACE.rows(), black_box(&query), 10, Scoring::default(), &exclude).unwrap())
    });
}

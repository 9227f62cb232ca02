//! Prompt and decoding speed on a real model, warm, as `llama-bench -p 32 -n 32` measures them
//! after its warm-up run: a 32-token batch from an empty cache, then 32 tokens one at a time,
//! REPS times; medians and bests.
//!
//!     cargo run --release -p vecspace-lm --example prompt -- MODEL.gguf [REPS]

use std::time::Instant;

use vecspace_lm::{Gguf, Model, NoHook};

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        eprintln!("usage: prompt MODEL.gguf [REPS]");
        std::process::exit(2);
    };
    let reps: usize = match args.next().map_or(Ok(20), |r| r.parse()) {
        Ok(reps) if reps > 0 => reps,
        _ => {
            eprintln!("usage: prompt MODEL.gguf [REPS], REPS a count of at least 1");
            std::process::exit(2);
        }
    };
    let file = Gguf::open(std::path::Path::new(&path)).unwrap_or_else(|e| {
        eprintln!("{e}");
        std::process::exit(2);
    });
    let model = Model::load(&file).expect("a model vecspace runs");
    let tokens: Vec<u32> = (0..32).map(|i| 1000 + 37 * i).collect();
    let (mut prompt, mut decode) = (Vec::new(), Vec::new());
    for _ in 0..=reps {
        let mut cache = model.new_cache();
        let started = Instant::now();
        model.forward_batch(&tokens, &mut cache, &mut NoHook, true).expect("a forward pass");
        prompt.push(started.elapsed().as_secs_f64());
        let started = Instant::now();
        for &token in &tokens {
            model.forward(token, &mut cache, &mut NoHook, true).expect("a forward pass");
        }
        decode.push(started.elapsed().as_secs_f64());
    }
    for (name, mut times) in [("prompt", prompt), ("decode", decode)] {
        // The first run is the warm-up.
        times.remove(0);
        times.sort_by(f64::total_cmp);
        let (median, best) = (times[times.len() / 2], times[0]);
        println!("{name}: median {:.1} tokens/s, best {:.1} tokens/s", 32.0 / median, 32.0 / best);
    }
}

//! The block products on real tensors, each kernel this CPU runs, one thread: multiply-adds per
//! second for one input (decoding) and for a batch of 64 (a prompt), best of several runs, beside
//! the rate at which the matrix's bytes stream from memory.
//!
//!     cargo run --release -p vecspace-lm --example kernels -- MODEL.gguf [--best] TENSOR...
//!
//! Without tensor names, the first block's matrices are measured; `--best` measures only the
//! fastest kernel (the scalar reference takes minutes on a vocabulary-sized matrix).

use std::time::Instant;

use vecspace_lm::Gguf;
use vecspace_lm::quant::{Kernel, QMatrix, quantize};

const RUNS: usize = 15;

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        eprintln!("usage: kernels MODEL.gguf [TENSOR...]");
        std::process::exit(2);
    };
    let file = Gguf::open(std::path::Path::new(&path)).unwrap_or_else(|e| {
        eprintln!("{e}");
        std::process::exit(2);
    });
    let mut names: Vec<String> = args.collect();
    let best_only = names.first().is_some_and(|a| a == "--best");
    if best_only {
        names.remove(0);
    }
    let kernels = if best_only { vec![Kernel::best()] } else { Kernel::available() };
    if names.is_empty() {
        names = file
            .tensors
            .iter()
            .filter(|t| t.name.starts_with("blk.0.") && t.dims.len() == 2)
            .map(|t| t.name.clone())
            .collect();
    }
    println!("| tensor | type | shape | kernel | 1 input, GMAC/s | GB/s | 64 inputs, GMAC/s |");
    println!("|---|---|---|---|---:|---:|---:|");
    for name in names {
        let Some(info) = file.tensor(&name) else {
            eprintln!("no tensor {name}");
            std::process::exit(2);
        };
        let (columns, rows) = (info.dims[0] as usize, info.dims[1] as usize);
        let kind = info.kind;
        let matrix = QMatrix::new(kind, rows, columns, file.bytes(info).to_vec()).expect("a valid tensor");
        let inputs: Vec<Vec<f32>> =
            (0..64).map(|t| (0..columns).map(|i| ((i * 7 + t * 13) % 29) as f32 / 14.5 - 1.0).collect()).collect();
        let quantized: Vec<_> = inputs.iter().map(|x| quantize(x)).collect();
        for &kernel in &kernels {
            let best = |batch: usize| -> f64 {
                let mut out = vec![Vec::new(); batch];
                (0..RUNS)
                    .map(|_| {
                        let started = Instant::now();
                        matrix.matmul_with(&inputs[..batch], &quantized[..batch], &mut out, kernel);
                        started.elapsed().as_secs_f64()
                    })
                    .fold(f64::INFINITY, f64::min)
            };
            let macs = (rows * columns) as f64;
            let (one, many) = (best(1), best(64));
            println!(
                "| {name} | {kind:?} | {rows} × {columns} | {kernel:?} | {:.2} | {:.1} | {:.2} |",
                macs / one / 1e9,
                matrix.data.len() as f64 / one / 1e9,
                64.0 * macs / many / 1e9
            );
        }
    }
}

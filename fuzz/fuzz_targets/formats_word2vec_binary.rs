//! word2vec binary: `vecspace_formats::read` with `Format::Word2VecBinary`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vecspace_formats::{Format, ReadOptions, read};

fuzz_target!(|data: &[u8]| {
    let path = vecspace_fuzz::scratch_file("input.bin", data);
    let options = ReadOptions { format: Some(Format::Word2VecBinary), vocab: None };
    if let Ok(loaded) = read(&path, &options) {
        vecspace_fuzz::exercise(&loaded.space);
    }
});

//! fastText `.bin` models: `vecspace_formats::read` with `Format::FastText`, then the space and its
//! subword table exercised.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vecspace_formats::{Format, ReadOptions, read};

fuzz_target!(|data: &[u8]| {
    let path = vecspace_fuzz::scratch_file("input.bin", data);
    let options = ReadOptions { format: Some(Format::FastText), vocab: None };
    if let Ok(loaded) = read(&path, &options) {
        vecspace_fuzz::exercise(&loaded.space);
    }
});

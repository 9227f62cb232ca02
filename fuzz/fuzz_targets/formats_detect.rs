//! Format detection and reading: `vecspace_formats::read` with no format given, as a command
//! opens a file it is pointed at (`detect` chooses among native, npy, word2vec and GloVe).
#![no_main]

use libfuzzer_sys::fuzz_target;
use vecspace_formats::{ReadOptions, detect, read};

fuzz_target!(|data: &[u8]| {
    let path = vecspace_fuzz::scratch_file("input.any", data);
    let _ = detect(&path);
    // An npy matrix finds its words in input.vocab beside it.
    vecspace_fuzz::scratch_file("input.vocab", b"king\nqueen\nman\nwoman\n");
    if let Ok(loaded) = read(&path, &ReadOptions::default()) {
        vecspace_fuzz::exercise(&loaded.space);
    }
});

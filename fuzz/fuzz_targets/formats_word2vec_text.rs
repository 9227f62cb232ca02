//! word2vec text (fastText `.vec`): `vecspace_formats::read` with `Format::Word2VecText`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vecspace_formats::{Format, ReadOptions, read};

fuzz_target!(|data: &[u8]| {
    let path = vecspace_fuzz::scratch_file("input.txt", data);
    let options = ReadOptions { format: Some(Format::Word2VecText), vocab: None };
    if let Ok(loaded) = read(&path, &options) {
        vecspace_fuzz::exercise(&loaded.space);
    }
});

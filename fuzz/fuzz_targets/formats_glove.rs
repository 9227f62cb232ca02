//! GloVe text (no header line): `vecspace_formats::read` with `Format::Glove`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vecspace_formats::{Format, ReadOptions, read};

fuzz_target!(|data: &[u8]| {
    let path = vecspace_fuzz::scratch_file("input.glove", data);
    let options = ReadOptions { format: Some(Format::Glove), vocab: None };
    if let Ok(loaded) = read(&path, &options) {
        vecspace_fuzz::exercise(&loaded.space);
    }
});

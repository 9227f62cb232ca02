//! vecspace's native `.vsp` files (memory-mapped): `vecspace_formats::read` with `Format::Native`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vecspace_formats::{Format, ReadOptions, read};

fuzz_target!(|data: &[u8]| {
    let path = vecspace_fuzz::scratch_file("input.vsp", data);
    let options = ReadOptions { format: Some(Format::Native), vocab: None };
    if let Ok(loaded) = read(&path, &options) {
        vecspace_fuzz::exercise(&loaded.space);
    }
});

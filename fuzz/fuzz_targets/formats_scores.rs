//! Scores CSV files: `vecspace_formats::scores::read`, for the only column and for a named one.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vecspace_formats::scores;

fuzz_target!(|data: &[u8]| {
    let path = vecspace_fuzz::scratch_file("input.csv", data);
    for column in [None, Some("smile"), Some("")] {
        let _ = scores::read(&path, column);
    }
});

//! Direction files (safetensors): `vecspace_formats::direction::read`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vecspace_formats::direction;

fuzz_target!(|data: &[u8]| {
    let path = vecspace_fuzz::scratch_file("input.safetensors", data);
    if let Ok(found) = direction::read(&path) {
        let _ = found.unit();
        let _ = found.check_dims(found.dims());
    }
});

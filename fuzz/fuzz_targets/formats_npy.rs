//! NumPy `.npy` matrices: `npy::read_header` and `npy::read_matrix` on the bytes in memory, then
//! the file readers `vecspace_formats::read` (`Format::Npy`, with a vocabulary file) and
//! `npy::read_vectors`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vecspace_core::progress::Silent;
use vecspace_formats::{Format, ReadOptions, npy, read};

fuzz_target!(|data: &[u8]| {
    let mut reader = data;
    if let Ok(header) = npy::read_header(&mut reader) {
        let _ = header.data_len();
        let available = data.len() as u64 - header.header_len.min(data.len() as u64);
        let _ = npy::read_matrix(&mut reader, &header, available, &Silent);
    }
    let path = vecspace_fuzz::scratch_file("input.npy", data);
    // Four words, one per line: the matrix must have four rows to be read as a space.
    let vocab = vecspace_fuzz::scratch_file("input.vocab", b"king\nqueen\nman\nwoman\n");
    let options = ReadOptions { format: Some(Format::Npy), vocab: Some(vocab) };
    if let Ok(loaded) = read(&path, &options) {
        vecspace_fuzz::exercise(&loaded.space);
    }
    for dims in [2, 4, 8] {
        let _ = npy::read_vectors(&path, dims, 16);
    }
});

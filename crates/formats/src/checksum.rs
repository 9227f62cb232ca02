//! Checksums of the files vecspace maps in place (native spaces, HNSW indexes): the first eight
//! bytes of the SHA-256 of everything after the header, recorded in the header. Opening does not
//! read the whole file, so damage shows only when a file is checked (`vecspace check`, or
//! opening with `--verify`).

use std::io::Write;

use sha2::{Digest, Sha256};

/// The header's algorithm code for a missing checksum (files written before checksums).
pub(crate) const NONE: u32 = 0;
/// The header's algorithm code for the first eight bytes of SHA-256, little-endian.
pub(crate) const SHA256_64: u32 = 1;

/// The checksum of `bytes`.
pub(crate) fn of(bytes: &[u8]) -> u64 {
    finish(Sha256::new_with_prefix(bytes))
}

fn finish(hasher: Sha256) -> u64 {
    u64::from_le_bytes(hasher.finalize()[..8].try_into().expect("SHA-256 is 32 bytes"))
}

/// A writer that only hashes: the first pass of a writer that must put the checksum of what
/// follows the header into the header.
#[derive(Default)]
pub(crate) struct Sink(Sha256);

impl Sink {
    pub(crate) fn checksum(self) -> u64 {
        finish(self.0)
    }
}

impl Write for Sink {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.update(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// What checking a file found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    /// The format's name.
    pub format: &'static str,
    /// Bytes covered by the checksum.
    pub bytes: u64,
    /// The checksum the file records and its contents match, or `None` for a file written before
    /// checksums, whose structure alone was checked.
    pub checksum: Option<u64>,
}

/// Compares the recorded checksum with the contents' one.
pub(crate) fn compare(
    path: &std::path::Path,
    format: &'static str,
    algorithm: u32,
    recorded: u64,
    body: &[u8],
) -> crate::Result<Checked> {
    let bytes = body.len() as u64;
    match algorithm {
        NONE => Ok(Checked { format, bytes, checksum: None }),
        SHA256_64 => {
            let computed = of(body);
            if computed == recorded {
                Ok(Checked { format, bytes, checksum: Some(computed) })
            } else {
                Err(crate::Error::ChecksumMismatch { path: path.to_owned(), recorded, computed })
            }
        }
        other => Err(crate::Error::malformed(
            path,
            crate::error::Location::Header,
            format!("unknown checksum algorithm {other}"),
        )),
    }
}

//! Files appear complete or not at all: written to a temporary file beside the target, flushed,
//! then renamed over it ([`vecspace_core::io::write_atomically`], with this crate's errors).

use std::io::Write;
use std::path::Path;

use crate::{Error, Result};

/// Calls `fill` with a buffered writer on a temporary file in `path`'s directory and renames the
/// file to `path` only if `fill` and the flush succeed. On any error the temporary file is removed.
pub fn write_atomically(path: &Path, fill: impl FnOnce(&mut dyn Write) -> Result<()>) -> Result<()> {
    vecspace_core::io::write_atomically(path, |e| Error::io(path, e), fill)
}

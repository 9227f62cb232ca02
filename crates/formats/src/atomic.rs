//! Files appear complete or not at all: written to a temporary file beside the target, flushed,
//! then renamed over it.

use std::io::{BufWriter, Write};
use std::path::Path;

use crate::{Error, Result};

/// Calls `fill` with a buffered writer on a temporary file in `path`'s directory and renames the
/// file to `path` only if `fill` and the flush succeed. On any error the temporary file is removed.
pub fn write_atomically(path: &Path, fill: impl FnOnce(&mut dyn Write) -> Result<()>) -> Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let temp =
        tempfile::Builder::new().prefix(".vecspace-partial-").tempfile_in(dir).map_err(|e| Error::io(path, e))?;
    // Temporary files are created private (0600); the result should look like any new file, or
    // keep the permissions of the file it replaces.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let permissions =
            std::fs::metadata(path).map(|m| m.permissions()).unwrap_or_else(|_| std::fs::Permissions::from_mode(0o644));
        temp.as_file().set_permissions(permissions).map_err(|e| Error::io(path, e))?;
    }
    let mut writer = BufWriter::with_capacity(1 << 20, temp);
    fill(&mut writer)?;
    let temp = writer.into_inner().map_err(|e| Error::io(path, e.into_error()))?;
    temp.as_file().sync_all().map_err(|e| Error::io(path, e))?;
    temp.persist(path).map_err(|e| Error::io(path, e.error))?;
    Ok(())
}

//! The one piece of file I/O in the core: writing a file so that it appears complete or not at
//! all. Every crate that writes files (the formats, control vectors) calls this one, so a reader
//! never sees half a file, whoever wrote it.

use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Calls `fill` with a buffered writer on a temporary file in `path`'s directory, then flushes it
/// to disk and renames it to `path`; on any error the temporary file is removed and `path` is left
/// as it was. `io_error` turns a failure of the file itself into the caller's error.
///
/// The file gets the permissions of the file it replaces, or those of any new file (0644 on Unix),
/// not the temporary file's private ones.
pub fn write_atomically<E>(
    path: &Path,
    io_error: impl Fn(io::Error) -> E,
    fill: impl FnOnce(&mut dyn Write) -> Result<(), E>,
) -> Result<(), E> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let (file, mut partial) = Partial::create(dir).map_err(&io_error)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let permissions =
            std::fs::metadata(path).map(|m| m.permissions()).unwrap_or_else(|_| std::fs::Permissions::from_mode(0o644));
        file.set_permissions(permissions).map_err(&io_error)?;
    }
    let mut writer = BufWriter::with_capacity(1 << 20, file);
    fill(&mut writer)?;
    let file = writer.into_inner().map_err(|e| io_error(e.into_error()))?;
    file.sync_all().map_err(&io_error)?;
    drop(file);
    std::fs::rename(&partial.path, path).map_err(&io_error)?;
    partial.renamed = true;
    Ok(())
}

/// A temporary file beside the target, removed when dropped unless it was renamed into place.
struct Partial {
    path: PathBuf,
    renamed: bool,
}

impl Partial {
    /// Creates a file no other writer uses: named by the process and a counter, created only if
    /// no such file exists (one left by a crashed process of the same id is stepped over).
    fn create(dir: &Path) -> io::Result<(File, Partial)> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        loop {
            let name = format!(".vecspace-partial-{}-{}", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed));
            let path = dir.join(name);
            let mut options = OpenOptions::new();
            options.write(true).create_new(true);
            // Private until the permissions it is to have are set, before anything is written.
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            match options.open(&path) {
                Ok(file) => return Ok((file, Partial { path, renamed: false })),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        }
    }
}

impl Drop for Partial {
    fn drop(&mut self) {
        if !self.renamed {
            // Nothing more can be done about a file that cannot be removed.
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leftovers(dir: &Path) -> Vec<String> {
        let names = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned());
        names.filter(|n| n.starts_with(".vecspace-partial-")).collect()
    }

    #[test]
    fn a_file_appears_whole_or_the_old_one_stays() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.txt");
        write_atomically(&path, |e| e.to_string(), |out| out.write_all(b"first").map_err(|e| e.to_string())).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"first");
        let failed = write_atomically(
            &path,
            |e| e.to_string(),
            |out| {
                out.write_all(b"half").map_err(|e| e.to_string())?;
                Err("the writer gave up".to_owned())
            },
        );
        assert_eq!(failed, Err("the writer gave up".to_owned()));
        assert_eq!(std::fs::read(&path).unwrap(), b"first");
        assert!(leftovers(dir.path()).is_empty(), "{:?}", leftovers(dir.path()));
    }

    #[cfg(unix)]
    #[test]
    fn new_files_are_not_private_and_replaced_ones_keep_their_permissions() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.txt");
        let write = || write_atomically(&path, |e| e, |out| out.write_all(b"x"));
        write().unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o644);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        write().unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    }
}

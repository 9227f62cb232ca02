//! The one piece of file I/O in the core: writing a file so that it appears complete or not at
//! all. Every crate that writes files (the formats, control vectors) calls this one, so a reader
//! never sees half a file, whoever wrote it.
//!
//! Files and directories being written are also listed process-wide, so that a front end can
//! remove them when the process is interrupted ([`remove_unfinished`]), and each holds a lock
//! while in use, so that a later run can tell one abandoned by a killed process from one still
//! being written ([`remove_abandoned`]).

use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// The prefix of every file being written; nothing else in a directory starts with it.
pub const PARTIAL_PREFIX: &str = ".vecspace-partial-";

/// The lock file inside a working directory (see [`WorkDir`]).
const WORK_LOCK: &str = ".vecspace-lock";

/// Paths being written right now, by any thread: what an interrupted process should remove.
static UNFINISHED: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn unfinished() -> std::sync::MutexGuard<'static, Vec<PathBuf>> {
    // A panic while the list was held cannot leave it inconsistent: pushes and removals only.
    UNFINISHED.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn forget(path: &Path) {
    let mut list = unfinished();
    if let Some(at) = list.iter().position(|p| p == path) {
        list.swap_remove(at);
    }
}

/// Removes every file and working directory being written: for a signal handler's thread, just
/// before the process exits. Returns how many were removed.
pub fn remove_unfinished() -> usize {
    let mut list = unfinished();
    let removed = list.drain(..).filter(|path| remove_path(path).is_ok()).count();
    // Held until the process exits: no file is begun between this clean-up and the exit.
    std::mem::forget(list);
    removed
}

/// What `remove_unfinished` does, for the listed paths `chosen` picks, leaving the list usable:
/// for tests, which share the list with others writing at the same time.
#[cfg(test)]
fn remove_listed(chosen: impl Fn(&Path) -> bool) -> usize {
    let mut list = unfinished();
    let mut removed = 0;
    list.retain(|path| {
        if !chosen(path) {
            return true;
        }
        removed += usize::from(remove_path(path).is_ok());
        false
    });
    removed
}

fn remove_path(path: &Path) -> io::Result<()> {
    if path.is_dir() { std::fs::remove_dir_all(path) } else { std::fs::remove_file(path) }
}

/// Removes what killed processes left in `dir`: partial files and working directories older
/// than `age` whose lock nobody holds. Returns what was removed. A directory that cannot be read
/// has nothing to clean.
pub fn remove_abandoned(dir: &Path, age: Duration) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut removed = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        let is_partial = name.to_string_lossy().starts_with(PARTIAL_PREFIX);
        let lock = if is_partial { path.clone() } else { path.join(WORK_LOCK) };
        if !(is_partial || lock.is_file()) {
            continue;
        }
        let old = entry.metadata().and_then(|m| m.modified()).is_ok_and(|t| t.elapsed().is_ok_and(|e| e >= age));
        // Held by a running writer, or not ours to judge: leave it.
        let free = File::open(&lock).is_ok_and(|file| file.try_lock().is_ok());
        if old && free && remove_path(&path).is_ok() {
            removed.push(path);
        }
    }
    removed
}

/// The most a whole-file read takes (word lists, benchmark sets, prompts, directions,
/// checkpoints): far above any real one, far below what would exhaust memory.
pub const READ_LIMIT: u64 = 4 << 30;

/// Opens `path` for reading if it is a regular file. Devices (`/dev/zero`) would be read for
/// ever and FIFOs would block the open itself, so both are refused before opening.
pub fn open_regular(path: &Path) -> io::Result<File> {
    let metadata = std::fs::metadata(path)?;
    if !metadata.is_file() {
        let what = if metadata.is_dir() { "a directory" } else { "not a regular file (a device, pipe or socket)" };
        return Err(io::Error::new(io::ErrorKind::InvalidInput, format!("{what}; vecspace reads files")));
    }
    File::open(path)
}

/// Reads the whole regular file `path`, refusing one longer than `limit` bytes.
pub fn read_regular(path: &Path, limit: u64) -> io::Result<Vec<u8>> {
    use std::io::Read;
    let file = open_regular(path)?;
    let size = file.metadata()?.len();
    if size > limit {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("the file is {size} bytes, more than the {limit} read whole"),
        ));
    }
    let mut bytes = Vec::with_capacity(size as usize);
    // `take` as well: the file may grow while it is read.
    file.take(limit).read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// [`read_regular`] as UTF-8 text.
pub fn read_regular_to_string(path: &Path, limit: u64) -> io::Result<String> {
    String::from_utf8(read_regular(path, limit)?)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "the file is not UTF-8 text"))
}

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
    /// no such file exists (one left by a crashed process of the same id is stepped over), and
    /// locked for as long as it is open.
    fn create(dir: &Path) -> io::Result<(File, Partial)> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        loop {
            let name = format!("{PARTIAL_PREFIX}{}-{}", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed));
            let path = dir.join(name);
            let mut options = OpenOptions::new();
            options.write(true).create_new(true);
            // Private until the permissions it is to have are set, before anything is written.
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            // The list is held while the file comes into being, so a signal's clean-up
            // (`remove_unfinished`) either runs before it exists or finds it listed.
            let mut list = unfinished();
            match options.open(&path) {
                Ok(file) => {
                    list.push(path.clone());
                    drop(list);
                    let partial = Partial { path, renamed: false };
                    // Where the file system has no locks, age alone tells abandoned files apart.
                    let _ = file.try_lock();
                    return Ok((file, partial));
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        }
    }
}

impl Drop for Partial {
    fn drop(&mut self) {
        forget(&self.path);
        if !self.renamed {
            // Nothing more can be done about a file that cannot be removed.
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// A working directory (downloads, unpacked packages), locked while in use, listed for
/// [`remove_unfinished`], and removed with everything in it when dropped.
#[derive(Debug)]
pub struct WorkDir {
    path: PathBuf,
    _lock: File,
}

impl WorkDir {
    /// Creates a fresh directory named `prefix` and a unique suffix inside `parent`.
    pub fn create(parent: &Path, prefix: &str) -> io::Result<WorkDir> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        std::fs::create_dir_all(parent)?;
        loop {
            let name = format!("{prefix}{}-{}", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed));
            let path = parent.join(name);
            // Held while the directory comes into being, as for a partial file.
            let mut list = unfinished();
            match std::fs::create_dir(&path) {
                Ok(()) => {
                    list.push(path.clone());
                    drop(list);
                    let made = File::create(path.join(WORK_LOCK)).inspect(|lock| {
                        let _ = lock.try_lock();
                    });
                    return match made {
                        Ok(lock) => Ok(WorkDir { path, _lock: lock }),
                        Err(e) => {
                            forget(&path);
                            let _ = std::fs::remove_dir_all(&path);
                            Err(e)
                        }
                    };
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for WorkDir {
    fn drop(&mut self) {
        forget(&self.path);
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leftovers(dir: &Path) -> Vec<String> {
        let names = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned());
        names.filter(|n| n.starts_with(".vecspace-partial-")).collect()
    }

    fn age(path: &Path, by: Duration) {
        let file = if path.is_dir() { File::open(path) } else { File::options().write(true).open(path) }.unwrap();
        file.set_modified(std::time::SystemTime::now() - by).unwrap();
    }

    #[test]
    fn files_being_written_are_listed_until_they_are_in_place() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.txt");
        write_atomically(
            &path,
            |e| e,
            |out| {
                let listed = unfinished().iter().filter(|p| p.starts_with(dir.path())).count();
                assert_eq!(listed, 1);
                out.write_all(b"x")
            },
        )
        .unwrap();
        assert!(!unfinished().iter().any(|p| p.starts_with(dir.path())));
        let work = WorkDir::create(dir.path(), "fetch-").unwrap();
        std::fs::write(work.path().join("big.whl"), b"wheel").unwrap();
        assert!(unfinished().contains(&work.path().to_owned()));
        let kept = work.path().to_owned();
        drop(work);
        assert!(!kept.exists() && !unfinished().contains(&kept));
    }

    #[test]
    fn only_old_unlocked_leftovers_are_abandoned() {
        let dir = tempfile::tempdir().unwrap();
        let day = Duration::from_secs(86_400);
        // Left by a killed process a week ago: a partial file and a working directory.
        let stale = dir.path().join(".vecspace-partial-1-0");
        std::fs::write(&stale, b"half").unwrap();
        age(&stale, 7 * day);
        let stale_work = dir.path().join("fetch-1-0");
        std::fs::create_dir(&stale_work).unwrap();
        std::fs::write(stale_work.join(WORK_LOCK), b"").unwrap();
        std::fs::write(stale_work.join("pkg.whl"), b"wheel").unwrap();
        age(&stale_work, 7 * day);
        // Old but still locked by a writer, fresh, and not ours at all.
        let (_held, busy) = Partial::create(dir.path()).unwrap();
        age(&busy.path, 7 * day);
        let fresh = dir.path().join(".vecspace-partial-2-0");
        std::fs::write(&fresh, b"new").unwrap();
        let theirs = dir.path().join("notes.txt");
        std::fs::write(&theirs, b"mine").unwrap();
        age(&theirs, 7 * day);
        let mut removed = remove_abandoned(dir.path(), day);
        removed.sort();
        assert_eq!(removed, [stale.clone(), stale_work.clone()]);
        assert!(busy.path.exists() && fresh.exists() && theirs.exists());
    }

    #[cfg(unix)]
    #[test]
    fn only_regular_files_are_read() {
        for path in ["/dev/zero", "/dev/null", "/"] {
            let err = read_regular(Path::new(path), READ_LIMIT).unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{path}: {err}");
        }
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status().unwrap();
        assert!(made.success());
        // Refused without blocking in the open (no writer will ever come).
        assert!(open_regular(&fifo).unwrap_err().to_string().contains("not a regular file"));
        let file = dir.path().join("big.txt");
        std::fs::write(&file, b"0123456789").unwrap();
        assert!(read_regular(&file, 9).unwrap_err().to_string().contains("10 bytes, more than the 9"));
        assert_eq!(read_regular_to_string(&file, 10).unwrap(), "0123456789");
    }

    #[test]
    fn an_interrupted_process_removes_what_it_was_writing() {
        let dir = tempfile::tempdir().unwrap();
        let (_file, partial) = Partial::create(dir.path()).unwrap();
        let work = WorkDir::create(dir.path(), "fetch-").unwrap();
        // What `remove_unfinished` does, kept to this test's directory: other tests write too.
        assert_eq!(remove_listed(|p| p.starts_with(dir.path())), 2);
        assert!(!partial.path.exists() && !work.path().exists());
        drop((partial, work));
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

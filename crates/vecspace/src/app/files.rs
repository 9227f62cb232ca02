//! What every command that writes a file checks first: that it replaces nothing it was not told
//! to, never its own input, and what earlier interrupted runs left beside it is cleaned away.

use std::path::Path;

use super::{Error, Result};

/// Whether an existing output may be replaced, and how the caller says so (for the refusal).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Overwrite {
    pub allowed: bool,
    /// What to do to replace it, in the caller's terms.
    pub how: &'static str,
}

impl Overwrite {
    /// The command line's `--force`.
    pub const fn force(given: bool) -> Overwrite {
        Overwrite { allowed: given, how: "use --force" }
    }

    /// The API's `"replace": true`.
    pub const fn replace(given: bool) -> Overwrite {
        Overwrite { allowed: given, how: "send \"replace\": true" }
    }

    /// Refuses `what` if it exists and may not be replaced.
    pub fn check(self, exists: bool, what: impl FnOnce() -> String) -> Result<()> {
        if exists && !self.allowed { Err(Error::OutputExists { what: what(), how: self.how }) } else { Ok(()) }
    }
}

/// Partial files older than this, whose writer holds no lock, were left by a killed process.
const ABANDONED_AFTER: std::time::Duration = std::time::Duration::from_secs(24 * 60 * 60);

/// Checks that `output` may be written: it is none of `inputs` (not even when replacing is
/// allowed), and it does not exist unless replacing is allowed. Then removes abandoned partial files from its directory.
pub fn check_output(output: &Path, inputs: &[&Path], overwrite: Overwrite) -> Result<()> {
    if inputs.iter().any(|input| same_file(input, output)) {
        return Err(Error::OutputIsInput { path: output.to_owned() });
    }
    if let Ok(existing) = std::fs::metadata(output)
        && !existing.is_file()
    {
        // A rename over /dev/null or a directory's name would replace it, not write into it.
        return Err(Error::invalid(format!("{} is not a regular file; write to a file", output.display())));
    }
    overwrite.check(std::fs::symlink_metadata(output).is_ok(), || output.display().to_string())?;
    let dir = output.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    vecspace_core::io::remove_abandoned(dir, ABANDONED_AFTER);
    Ok(())
}

/// Whether two paths name one file (through links, `..` or hard links).
fn same_file(a: &Path, b: &Path) -> bool {
    let (Ok(a), Ok(b)) = (std::fs::metadata(a), std::fs::metadata(b)) else { return false };
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        a.dev() == b.dev() && a.ino() == b.ino()
    }
    #[cfg(not(unix))]
    {
        let _ = (a, b);
        false
    }
}

/// Checks a file vecspace reads: native spaces and HNSW indexes against the checksum in their
/// header (reading every byte), other formats by reading them whole.
pub fn check(path: &Path, progress: &dyn crate::progress::Progress) -> Result<crate::formats::Checked> {
    use crate::formats::{self, Format};
    let mut magic = [0u8; 8];
    let head = vecspace_core::io::open_regular(path).and_then(|mut file| {
        use std::io::Read;
        let read = file.read(&mut magic)?;
        Ok(read)
    });
    let head = head.map_err(|source| Error::Io { path: path.to_owned(), source })?;
    if head == magic.len() && &magic == formats::hnsw::MAGIC {
        return Ok(formats::hnsw::verify(path)?);
    }
    match formats::detect(path)? {
        Format::Native => Ok(formats::native::verify(path)?),
        _ => {
            let loaded = formats::read_with_progress(path, &formats::ReadOptions::default(), progress)?;
            let bytes = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
            Ok(crate::formats::Checked { format: loaded.format.name(), bytes, checksum: None })
        }
    }
}

/// One line on a checked file: its checksum, or that it has none, and the time it took.
pub fn describe_check(checked: &crate::formats::Checked, took: std::time::Duration) -> String {
    let megabytes = checked.bytes as f64 / 1e6;
    let rate = megabytes / took.as_secs_f64().max(1e-9);
    match checked.checksum {
        Some(sum) => format!(
            "{} checksum {sum:016x} matches ({megabytes:.1} MB in {:.2} s, {rate:.0} MB/s)",
            checked.format,
            took.as_secs_f64()
        ),
        None if checked.format == "native" || checked.format == "HNSW index" => format!(
            "{} written before checksums: its structure is sound, its values cannot be checked ({megabytes:.1} MB)",
            checked.format
        ),
        None => {
            format!("{}: read whole, every row sound; the format has no checksum ({megabytes:.1} MB)", checked.format)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outputs_replace_nothing_unasked_and_never_an_input() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("in.txt");
        std::fs::write(&input, b"1 1\na 1\n").unwrap();
        let output = dir.path().join("out.vsp");
        check_output(&output, &[&input], Overwrite::force(false)).unwrap();
        std::fs::write(&output, b"old").unwrap();
        let err = check_output(&output, &[&input], Overwrite::force(false)).unwrap_err();
        assert_eq!(err.kind(), super::super::ErrorKind::Exists);
        assert!(err.to_string().ends_with("out.vsp already exists; use --force to replace it"), "{err}");
        check_output(&output, &[&input], Overwrite::force(true)).unwrap();
        // The input itself, however it is spelled, is refused even when replacing.
        let spelled = dir.path().join(".").join("in.txt");
        let err = check_output(&spelled, &[&input], Overwrite::force(true)).unwrap_err();
        assert!(matches!(err, Error::OutputIsInput { .. }), "{err}");
        let err = check_output(Path::new("/dev/null"), &[], Overwrite::force(true)).unwrap_err();
        assert!(err.to_string().contains("/dev/null is not a regular file"), "{err}");
        #[cfg(unix)]
        {
            let link = dir.path().join("link.txt");
            std::fs::hard_link(&input, &link).unwrap();
            assert!(matches!(check_output(&link, &[&input], Overwrite::force(true)), Err(Error::OutputIsInput { .. })));
        }
    }
}

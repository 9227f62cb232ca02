//! word2vec binary: a `count dims` text header, then per word its bytes, a space and `dims`
//! little-endian f32. The original C tool ends each record with a newline, gensim does not:
//! both are read.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use vecspace_core::Space;
use vecspace_core::progress::{Progress, Unit};

use crate::error::Location;
use crate::text::{check_words, read_header};
use crate::{Error, Format, Result, write_atomically};

/// Longest word accepted, so that a file without spaces cannot make us buffer it whole.
const MAX_WORD_BYTES: usize = 64 * 1024;

pub(crate) fn read(path: &Path, warnings: &mut Vec<String>, progress: &dyn Progress) -> Result<Space> {
    let file = vecspace_core::io::open_regular(path).map_err(|e| Error::io(path, e))?;
    let file_len = file.metadata().map_err(|e| Error::io(path, e))?.len();
    if file_len == 0 {
        return Err(Error::Empty { path: path.to_owned() });
    }
    let mut reader = BufReader::with_capacity(1 << 20, file);
    let io = |e| Error::io(path, e);
    let (count, dims, header_len) = read_header(&mut reader, path)?;
    // Every record holds at least a one-byte word, a space and the values.
    let record_min = dims * 4 + 2;
    let available = file_len - header_len as u64;
    if count.saturating_mul(record_min) > available {
        return Err(Error::Truncated {
            path: path.to_owned(),
            what: "the header",
            declared: count.saturating_mul(record_min),
            available,
        });
    }
    let (count, dims) = (count as usize, dims as usize);
    progress.start("reading vectors", Some(file_len), Unit::Bytes);
    progress.advance(header_len as u64);
    let mut offset = header_len as u64;
    let mut words = Vec::with_capacity(count);
    let mut data = Vec::with_capacity(count * dims);
    let mut values = vec![0u8; dims * 4];
    let mut word = Vec::new();
    let mut lossy_words = 0usize;
    for _ in 0..count {
        word.clear();
        // Skip the newline that ends the previous record in C-tool files.
        loop {
            let buffer = reader.fill_buf().map_err(io)?;
            match buffer.first() {
                Some(b'\n' | b'\r') => {
                    reader.consume(1);
                    offset += 1;
                }
                _ => break,
            }
        }
        let start = offset;
        let read = (&mut reader).take(MAX_WORD_BYTES as u64 + 1).read_until(b' ', &mut word).map_err(io)?;
        offset += read as u64;
        if word.last() != Some(&b' ') {
            let message = if read > MAX_WORD_BYTES {
                "a word longer than 64 KiB: not a word2vec binary file?"
            } else {
                "the file ends inside a word"
            };
            return Err(Error::malformed(path, Location::Byte(start), message));
        }
        word.pop();
        reader.read_exact(&mut values).map_err(|_| {
            Error::malformed(
                path,
                Location::Byte(offset),
                format!("the file ends inside the vector of word {}", words.len() + 1),
            )
        })?;
        offset += values.len() as u64;
        progress.advance(offset - start);
        data.extend(values.chunks_exact(4).map(|b| f32::from_le_bytes(b.try_into().expect("4 bytes"))));
        words.push(match String::from_utf8(std::mem::take(&mut word)) {
            Ok(text) => text,
            Err(e) => {
                lossy_words += 1;
                String::from_utf8_lossy(e.as_bytes()).into_owned()
            }
        });
    }
    progress.finish();
    let mut rest = Vec::new();
    (&mut reader).take(4096).read_to_end(&mut rest).map_err(io)?;
    if rest.iter().any(|b| !b.is_ascii_whitespace()) {
        warnings.push(format!("{}: bytes after the {count} declared vectors were ignored", path.display()));
    }
    if lossy_words > 0 {
        warnings.push(format!(
            "{}: {lossy_words} word(s) were not valid UTF-8 (often a multi-byte character cut by the training tool); invalid bytes were replaced with U+FFFD",
            path.display()
        ));
    }
    if words.is_empty() {
        return Err(Error::Empty { path: path.to_owned() });
    }
    crate::assemble(path, words, data, dims, warnings)
}

/// Writes word2vec binary as the original C tool does (a newline after each vector), atomically.
pub(crate) fn write(space: &Space, path: &Path) -> Result<()> {
    check_words(space, Format::Word2VecBinary)?;
    write_atomically(path, |out| {
        let io = |e| Error::io(path, e);
        out.write_all(format!("{} {}\n", space.len(), space.dims()).as_bytes()).map_err(io)?;
        let mut record = Vec::new();
        for row in 0..space.len() {
            record.clear();
            record.extend_from_slice(space.word(row).as_bytes());
            record.push(b' ');
            record.extend(space.raw_vector(row).iter().flat_map(|v| v.to_le_bytes()));
            record.push(b'\n');
            out.write_all(&record).map_err(io)?;
        }
        Ok(())
    })
}

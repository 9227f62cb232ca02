//! Text formats: word2vec text (with a `count dims` header; fastText `.vec` is the same) and
//! GloVe (no header).

use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use vecspace_core::Space;
use vecspace_core::progress::{Progress, Unit};

use crate::error::Location;
use crate::{Error, Format, Result, write_atomically};

/// Largest dimension count accepted from a header or a first line.
pub(crate) const MAX_DIMS: u64 = 1 << 20;

/// Reads word2vec text (`has_header`) or GloVe text.
pub(crate) fn read(
    path: &Path,
    has_header: bool,
    warnings: &mut Vec<String>,
    progress: &dyn Progress,
) -> Result<Space> {
    let file = vecspace_core::io::open_regular(path).map_err(|e| Error::io(path, e))?;
    let file_len = file.metadata().map_err(|e| Error::io(path, e))?.len();
    if file_len == 0 {
        return Err(Error::Empty { path: path.to_owned() });
    }
    let mut reader = BufReader::with_capacity(1 << 20, file);
    let mut line = Vec::new();
    let mut line_number = 0u64;
    let io = |e| Error::io(path, e);
    progress.start("reading vectors", Some(file_len), Unit::Bytes);

    let mut declared: Option<(u64, u64)> = None;
    if has_header {
        let (count, dims, header_len) = read_header(&mut reader, path)?;
        line_number += 1;
        progress.advance(header_len as u64);
        // Each value takes at least two bytes ("0 "), so the file bounds what the header may claim.
        let available = file_len / 2;
        if count.saturating_mul(dims) > available {
            return Err(Error::Truncated {
                path: path.to_owned(),
                what: "the header",
                declared: count.saturating_mul(dims),
                available,
            });
        }
        declared = Some((count, dims));
    }

    let mut dims = declared.map(|(_, dims)| dims as usize);
    let capacity = declared.map_or(file_len / 8, |(count, dims)| count * dims) as usize;
    let mut data: Vec<f32> = Vec::with_capacity(capacity.min((file_len / 2) as usize));
    let mut words: Vec<String> = Vec::new();
    let mut lossy_words = 0usize;
    let mut joined_words = 0usize;
    let mut first_joined: Option<String> = None;
    let mut fields: Vec<(usize, usize)> = Vec::new();
    loop {
        line.clear();
        let read = reader.read_until(b'\n', &mut line).map_err(io)?;
        if read == 0 {
            break;
        }
        line_number += 1;
        progress.advance(read as u64);
        split_fields(&line, &mut fields);
        let tokens: Vec<&[u8]> = fields.iter().map(|&(start, end)| &line[start..end]).collect();
        if tokens.is_empty() {
            continue;
        }
        let at = Location::Line(line_number);
        let width = match dims {
            Some(dims) => dims,
            None => {
                let found = tokens.len() - 1;
                if found == 0 || found as u64 > MAX_DIMS {
                    return Err(Error::malformed(
                        path,
                        at,
                        format!("expected a word and its values, found {} fields", tokens.len()),
                    ));
                }
                dims = Some(found);
                found
            }
        };
        if tokens.len() < width + 1 {
            return Err(Error::malformed(
                path,
                at,
                format!("expected {width} values after the word, found {}", tokens.len() - 1),
            ));
        }
        // Some GloVe releases contain words with spaces in them: everything before the last
        // `width` fields is the word.
        let word_fields = tokens.len() - width;
        let word_bytes = if word_fields == 1 {
            tokens[0].to_vec()
        } else {
            // A word with spaces, or a row with too many values? Words are not numbers: a number
            // among the word's fields means the row is ragged, and reading it would shift a
            // value into the word and every later value along by one.
            if let Some(number) = tokens[1..word_fields].iter().find(|t| parses_as_number(t)) {
                return Err(Error::malformed(
                    path,
                    at,
                    format!(
                        "expected {width} values after the word, found {}; {:?} is a number, so this is not a word with spaces",
                        tokens.len() - 1,
                        String::from_utf8_lossy(number)
                    ),
                ));
            }
            joined_words += 1;
            let joined = tokens[..word_fields].join(&b' ');
            first_joined.get_or_insert_with(|| String::from_utf8_lossy(&joined).into_owned());
            joined
        };
        let word = match String::from_utf8(word_bytes) {
            Ok(word) => word,
            Err(e) => {
                lossy_words += 1;
                String::from_utf8_lossy(e.as_bytes()).into_owned()
            }
        };
        for token in &tokens[word_fields..] {
            let value = std::str::from_utf8(token).ok().and_then(|t| t.parse::<f32>().ok()).ok_or_else(|| {
                Error::malformed(path, at, format!("{:?} is not a number", String::from_utf8_lossy(token)))
            })?;
            data.push(value);
        }
        words.push(word);
    }
    progress.finish();
    if words.is_empty() {
        return Err(Error::Empty { path: path.to_owned() });
    }
    if let Some((count, _)) = declared
        && count != words.len() as u64
    {
        return Err(Error::malformed(
            path,
            Location::Line(line_number),
            format!("the header declares {count} vectors but the file holds {}", words.len()),
        ));
    }
    if lossy_words > 0 {
        warnings.push(format!(
            "{}: {lossy_words} word(s) were not valid UTF-8; invalid bytes were replaced with U+FFFD",
            path.display()
        ));
    }
    if joined_words > 0 {
        warnings.push(format!(
            "{}: {joined_words} word(s) contain spaces and were read whole, the first {:?}",
            path.display(),
            first_joined.unwrap_or_default()
        ));
    }
    crate::assemble(path, words, data, dims.expect("at least one line"), warnings)
}

fn parses_as_number(token: &[u8]) -> bool {
    std::str::from_utf8(token).is_ok_and(|t| t.parse::<f32>().is_ok())
}

/// Reads and checks a word2vec `count dims` header line (at most 256 bytes), returning the two
/// numbers and the line's length in bytes.
pub(crate) fn read_header(reader: &mut impl BufRead, path: &Path) -> Result<(u64, u64, usize)> {
    let mut header = Vec::new();
    reader.take(256).read_until(b'\n', &mut header).map_err(|e| Error::io(path, e))?;
    let text = String::from_utf8_lossy(&header);
    let parts: Vec<u64> = text.split_ascii_whitespace().filter_map(|t| t.parse().ok()).collect();
    let [count, dims] = parts[..] else {
        let message = format!("expected a `count dims` header, found {:?}", text.trim());
        return Err(Error::malformed(path, Location::Line(1), message));
    };
    if dims == 0 || dims > MAX_DIMS {
        return Err(Error::malformed(path, Location::Line(1), format!("implausible dimension count {dims}")));
    }
    Ok((count, dims, header.len()))
}

/// The byte ranges of the whitespace-separated fields of `line`.
fn split_fields(line: &[u8], fields: &mut Vec<(usize, usize)>) {
    fields.clear();
    let mut start = None;
    for (i, byte) in line.iter().enumerate() {
        match (byte.is_ascii_whitespace(), start) {
            (true, Some(s)) => {
                fields.push((s, i));
                start = None;
            }
            (false, None) => start = Some(i),
            _ => {}
        }
    }
    if let Some(s) = start {
        fields.push((s, line.len()));
    }
}

/// Writes word2vec text, atomically, with the shortest decimal form that reads back exactly.
pub(crate) fn write(space: &Space, path: &Path) -> Result<()> {
    check_words(space, Format::Word2VecText)?;
    write_atomically(path, |out| {
        let io = |e| Error::io(path, e);
        writeln!(out, "{} {}", space.len(), space.dims()).map_err(io)?;
        let mut line = String::new();
        for row in 0..space.len() {
            line.clear();
            line.push_str(space.word(row));
            for value in space.raw_vector(row) {
                use std::fmt::Write as _;
                write!(line, " {value}").expect("writing to a String");
            }
            line.push('\n');
            out.write_all(line.as_bytes()).map_err(io)?;
        }
        Ok(())
    })
}

/// word2vec files separate words from values with whitespace, so words cannot contain any.
pub(crate) fn check_words(space: &Space, format: Format) -> Result<()> {
    for row in 0..space.len() {
        let word = space.word(row);
        if word.is_empty() || word.bytes().any(|b| b.is_ascii_whitespace()) {
            return Err(Error::Unrepresentable { word: word.to_owned(), format });
        }
    }
    Ok(())
}

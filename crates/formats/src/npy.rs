//! NumPy `.npy` arrays: a 2-D float matrix, row-major or column-major (`fortran_order`), as
//! `<f4` or `<f8`. The reader takes any `Read`, so matrices can stream straight out of archives.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use vecspace_core::Space;
use vecspace_core::progress::{Progress, Silent, Unit};

use crate::error::Location;
use crate::{Error, Result};

/// The first six bytes of every `.npy` file.
pub const MAGIC: &[u8; 6] = b"\x93NUMPY";

/// Element types vecspace reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dtype {
    F32,
    F64,
}

impl Dtype {
    pub fn size(self) -> u64 {
        match self {
            Dtype::F32 => 4,
            Dtype::F64 => 8,
        }
    }
}

/// What the header says about the array.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NpyHeader {
    pub dtype: Dtype,
    pub fortran_order: bool,
    pub rows: u64,
    pub cols: u64,
    /// Whether the shape was one-dimensional, `(cols,)`; such an array is read as one row.
    pub vector: bool,
    /// Bytes taken by the magic, version, header length and header text.
    pub header_len: u64,
}

impl NpyHeader {
    /// Bytes of array data that follow the header.
    pub fn data_len(&self) -> Option<u64> {
        self.rows.checked_mul(self.cols)?.checked_mul(self.dtype.size())
    }
}

/// What is wrong with a `.npy` header (the file's path is added by whoever knows it).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HeaderError {
    #[error("shorter than a .npy header")]
    Short,
    #[error("not a .npy file (bad magic)")]
    BadMagic,
    #[error("truncated .npy header")]
    Truncated,
    #[error(".npy version {version} is not supported (1, 2 and 3 are)")]
    Version { version: u8 },
    #[error("implausible .npy header length {length}")]
    Length { length: u64 },
    #[error("the .npy header has no '{key}'")]
    MissingKey { key: &'static str },
    #[error("dtype {dtype} is not supported; vecspace reads <f4 and <f8")]
    Dtype { dtype: String },
    #[error("unreadable fortran_order {value:?}")]
    FortranOrder { value: String },
    #[error("unreadable shape {shape}")]
    UnreadableShape { shape: String },
    #[error("expected a 1-D or 2-D array, found shape {shape}")]
    Dimensions { shape: String },
    #[error("expected a 2-D array (words × dimensions), found shape ({cols},)")]
    Vector { cols: u64 },
}

/// Reads and checks the header of a 2-D float array; a bad one is [`Error::NpyHeader`].
pub fn read_header(reader: &mut dyn Read) -> Result<NpyHeader> {
    let header = read_header_1d_or_2d(reader)?;
    if header.vector {
        return Err(HeaderError::Vector { cols: header.cols }.into());
    }
    Ok(header)
}

/// Reads and checks the header of a 1-D or 2-D float array.
fn read_header_1d_or_2d(reader: &mut dyn Read) -> std::result::Result<NpyHeader, HeaderError> {
    let mut preamble = [0u8; 8];
    reader.read_exact(&mut preamble).map_err(|_| HeaderError::Short)?;
    if &preamble[..6] != MAGIC {
        return Err(HeaderError::BadMagic);
    }
    let (text_len, prefix) = match preamble[6] {
        1 => {
            let mut len = [0u8; 2];
            reader.read_exact(&mut len).map_err(|_| HeaderError::Truncated)?;
            (u64::from(u16::from_le_bytes(len)), 10)
        }
        2 | 3 => {
            let mut len = [0u8; 4];
            reader.read_exact(&mut len).map_err(|_| HeaderError::Truncated)?;
            (u64::from(u32::from_le_bytes(len)), 12)
        }
        version => return Err(HeaderError::Version { version }),
    };
    if text_len > 1 << 20 {
        return Err(HeaderError::Length { length: text_len });
    }
    let mut text = vec![0u8; text_len as usize];
    reader.read_exact(&mut text).map_err(|_| HeaderError::Truncated)?;
    let text = String::from_utf8_lossy(&text);
    let value = |key: &'static str| dict_value(&text, key).ok_or(HeaderError::MissingKey { key });
    let dtype = match value("descr")?.trim_matches(|c| c == '\'' || c == '"') {
        "<f4" | "=f4" => Dtype::F32,
        "<f8" | "=f8" => Dtype::F64,
        other => return Err(HeaderError::Dtype { dtype: other.to_owned() }),
    };
    let fortran_order = match value("fortran_order")? {
        "True" => true,
        "False" => false,
        other => return Err(HeaderError::FortranOrder { value: other.to_owned() }),
    };
    let shape = value("shape")?;
    let dims: Vec<u64> = shape
        .trim_matches(|c| c == '(' || c == ')')
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<u64>().map_err(|_| HeaderError::UnreadableShape { shape: shape.to_owned() }))
        .collect::<std::result::Result<_, _>>()?;
    let (rows, cols, vector) = match dims[..] {
        [cols] => (1, cols, true),
        [rows, cols] => (rows, cols, false),
        _ => return Err(HeaderError::Dimensions { shape: shape.to_owned() }),
    };
    Ok(NpyHeader { dtype, fortran_order, rows, cols, vector, header_len: prefix + text_len })
}

/// The text of a value in the header's Python dict literal, such as `(400000, 50)` for `shape`.
fn dict_value<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    let quoted = [format!("'{key}'"), format!("\"{key}\"")];
    let start = quoted.iter().find_map(|k| text.find(k.as_str()).map(|i| i + k.len()))?;
    let rest = text[start..].trim_start().strip_prefix(':')?.trim_start();
    let end = if rest.starts_with('(') {
        rest.find(')')? + 1
    } else if let Some(quote) = rest.chars().next().filter(|c| *c == '\'' || *c == '"') {
        rest[1..].find(quote)? + 2
    } else {
        rest.find([',', '}']).unwrap_or(rest.len())
    };
    Some(rest[..end].trim())
}

/// Reads the array data after `header` into a row-major f32 matrix.
///
/// `available` is how many bytes follow the header (the file or archive entry size minus the
/// header); it must match the shape exactly, and is checked before anything is allocated.
pub fn read_matrix(
    reader: &mut dyn Read,
    header: &NpyHeader,
    available: u64,
    progress: &dyn Progress,
) -> std::result::Result<Vec<f32>, String> {
    let needed = header.data_len().ok_or("the shape overflows")?;
    if available < needed {
        return Err(format!(
            "the shape {}×{} needs {needed} bytes of data but only {available} follow the header; the file is truncated",
            header.rows, header.cols
        ));
    }
    if available > needed {
        return Err(format!("{} unexpected bytes follow the array data", available - needed));
    }
    let count = (header.rows * header.cols) as usize;
    let mut values = Vec::with_capacity(count);
    let mut buffer = vec![0u8; 1 << 22];
    let mut remaining = needed;
    progress.start("reading matrix", Some(needed), Unit::Bytes);
    while remaining > 0 {
        let take = remaining.min(buffer.len() as u64) as usize;
        // Whole elements per chunk: the buffer length is a multiple of 8.
        let chunk = &mut buffer[..take];
        reader.read_exact(chunk).map_err(|e| format!("reading array data: {e}"))?;
        match header.dtype {
            Dtype::F32 => values.extend(chunk.chunks_exact(4).map(|b| f32::from_le_bytes(b.try_into().expect("4")))),
            Dtype::F64 => {
                values.extend(chunk.chunks_exact(8).map(|b| f64::from_le_bytes(b.try_into().expect("8")) as f32))
            }
        }
        remaining -= take as u64;
        progress.advance(take as u64);
    }
    progress.finish();
    if header.fortran_order {
        values = transpose(&values, header.cols as usize, header.rows as usize);
    }
    Ok(values)
}

/// Row-major copy of a `rows × cols` row-major matrix's transpose.
fn transpose(values: &[f32], rows: usize, cols: usize) -> Vec<f32> {
    let mut out = vec![0.0f32; values.len()];
    // Tiles keep both the reads and the writes within a few cache lines.
    const TILE: usize = 64;
    for row_start in (0..rows).step_by(TILE) {
        for col_start in (0..cols).step_by(TILE) {
            for r in row_start..(row_start + TILE).min(rows) {
                for c in col_start..(col_start + TILE).min(cols) {
                    out[c * rows + r] = values[r * cols + c];
                }
            }
        }
    }
    out
}

/// Reads a `.npy` matrix and a vocabulary file with one word per line, in row order.
pub fn read_space(npy_path: &Path, vocab_path: &Path, warnings: &mut Vec<String>) -> Result<Space> {
    let file = vecspace_core::io::open_regular(npy_path).map_err(|e| Error::io(npy_path, e))?;
    let file_len = file.metadata().map_err(|e| Error::io(npy_path, e))?.len();
    let mut reader = BufReader::new(file);
    let header = read_header(&mut reader).map_err(|e| Error::malformed(npy_path, Location::Header, e.to_string()))?;
    let data = read_matrix(&mut reader, &header, file_len.saturating_sub(header.header_len), &Silent)
        .map_err(|m| Error::malformed(npy_path, Location::Byte(header.header_len), m))?;
    let words = read_vocabulary(vocab_path, header.rows)?;
    crate::assemble(npy_path, words, data, header.cols as usize, warnings)
}

/// Reads vectors of `dims` values from a `.npy` file of shape `(dims,)` (one vector) or
/// `(n, dims)`, at most `most` of them, refusing NaN and infinite values.
pub fn read_vectors(path: &Path, dims: usize, most: usize) -> Result<Vec<Vec<f32>>> {
    let file = vecspace_core::io::open_regular(path).map_err(|e| Error::io(path, e))?;
    let file_len = file.metadata().map_err(|e| Error::io(path, e))?.len();
    let mut reader = BufReader::new(file);
    let header =
        read_header_1d_or_2d(&mut reader).map_err(|e| Error::malformed(path, Location::Header, e.to_string()))?;
    let shape =
        if header.vector { format!("({},)", header.cols) } else { format!("({}, {})", header.rows, header.cols) };
    if header.cols != dims as u64 {
        return Err(Error::malformed(
            path,
            Location::Header,
            format!("the array has shape {shape}; expected vectors of {dims} values: shape ({dims},) or (n, {dims})"),
        ));
    }
    if header.rows == 0 || header.rows > most as u64 {
        return Err(Error::malformed(
            path,
            Location::Header,
            format!("the array has shape {shape}; between 1 and {most} vectors are accepted"),
        ));
    }
    let data = read_matrix(&mut reader, &header, file_len.saturating_sub(header.header_len), &Silent)
        .map_err(|m| Error::malformed(path, Location::Byte(header.header_len), m))?;
    if let Some(bad) = data.iter().position(|x| !x.is_finite()) {
        let (row, column) = (bad / dims, bad % dims);
        return Err(Error::malformed(
            path,
            Location::Header,
            format!("vector {row} holds a non-finite value ({}) at index {column}", data[bad]),
        ));
    }
    Ok(data.chunks_exact(dims).map(<[f32]>::to_vec).collect())
}

/// Writes a row-major `rows × cols` matrix as a little-endian f32 `.npy` file (atomically).
pub fn write_matrix(path: &Path, rows: usize, cols: usize, data: &[f32]) -> Result<()> {
    write_array(path, &[rows, cols], data)
}

/// Writes a row-major array of any `shape` as a little-endian f32 `.npy` file (atomically).
pub fn write_array(path: &Path, shape: &[usize], data: &[f32]) -> Result<()> {
    let bytes = encode_array(shape, data);
    crate::write_atomically(path, |out| out.write_all(&bytes).map_err(|e| Error::io(path, e)))
}

/// A row-major array of any `shape` as the bytes of a little-endian f32 `.npy` file.
///
/// ```
/// let bytes = vecspace_formats::npy::encode_array(&[2, 3], &[0.5; 6]);
/// let header = vecspace_formats::npy::read_header(&mut bytes.as_slice()).unwrap();
/// assert_eq!((header.rows, header.cols, header.header_len), (2, 3, 128));
/// assert_eq!(bytes.len(), 128 + 6 * 4);
/// let faces = vecspace_formats::npy::encode_array(&[1, 64, 64, 3], &vec![0.0; 64 * 64 * 3]);
/// assert!(std::str::from_utf8(&faces[10..128]).unwrap().contains("'shape': (1, 64, 64, 3)"));
/// ```
pub fn encode_array(shape: &[usize], data: &[f32]) -> Vec<u8> {
    assert_eq!(data.len(), shape.iter().product::<usize>(), "the data must hold as many values as the shape says");
    let dims: Vec<String> = shape.iter().map(usize::to_string).collect();
    // A one-dimensional shape is written `(n,)`.
    let comma = if shape.len() == 1 { "," } else { "" };
    let dict = format!("{{'descr': '<f4', 'fortran_order': False, 'shape': ({}{comma}), }}", dims.join(", "));
    // The header (magic, version, length, text and newline) is padded to a multiple of 64 bytes.
    let padded = format!("{dict:<width$}\n", width = (dict.len() + 11).div_ceil(64) * 64 - 11);
    let mut bytes = MAGIC.to_vec();
    bytes.extend_from_slice(&[1, 0]);
    bytes.extend_from_slice(&(padded.len() as u16).to_le_bytes());
    bytes.extend_from_slice(padded.as_bytes());
    bytes.extend(data.iter().flat_map(|x| x.to_le_bytes()));
    bytes
}

/// One word per line; the count must match the matrix.
fn read_vocabulary(path: &Path, expected: u64) -> Result<Vec<String>> {
    let file = vecspace_core::io::open_regular(path).map_err(|e| Error::io(path, e))?;
    let mut words = Vec::with_capacity(expected.min(1 << 24) as usize);
    let mut reader = BufReader::new(file);
    let mut line = Vec::new();
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line).map_err(|e| Error::io(path, e))? == 0 {
            break;
        }
        let text = line.strip_suffix(b"\n").unwrap_or(&line);
        let text = text.strip_suffix(b"\r").unwrap_or(text);
        let word = std::str::from_utf8(text).map_err(|_| {
            Error::malformed(path, Location::Line(words.len() as u64 + 1), "the word is not valid UTF-8")
        })?;
        words.push(word.to_owned());
    }
    if words.len() as u64 != expected {
        return Err(Error::malformed(
            path,
            Location::Line(words.len() as u64),
            format!("the vocabulary has {} words but the matrix has {expected} rows", words.len()),
        ));
    }
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn npy(descr: &str, fortran: bool, shape: (u64, u64), data: &[u8]) -> Vec<u8> {
        let dict = format!(
            "{{'descr': '{descr}', 'fortran_order': {}, 'shape': ({}, {}), }}",
            if fortran { "True" } else { "False" },
            shape.0,
            shape.1
        );
        let padded = format!("{dict:<width$}\n", width = (dict.len() + 11).div_ceil(64) * 64 - 11);
        let mut bytes = MAGIC.to_vec();
        bytes.extend_from_slice(&[1, 0]);
        bytes.extend_from_slice(&(padded.len() as u16).to_le_bytes());
        bytes.extend_from_slice(padded.as_bytes());
        bytes.extend_from_slice(data);
        bytes
    }

    fn read(bytes: &[u8]) -> std::result::Result<Vec<f32>, String> {
        let mut reader = bytes;
        let header = read_header(&mut reader).map_err(|e| e.to_string())?;
        let available = reader.len() as u64;
        read_matrix(&mut reader, &header, available, &Silent)
    }

    #[test]
    fn column_major_arrays_are_transposed_to_rows() {
        // The 2×3 matrix [[1,2,3],[4,5,6]] stored column by column.
        let data: Vec<u8> = [1.0f32, 4.0, 2.0, 5.0, 3.0, 6.0].iter().flat_map(|x| x.to_le_bytes()).collect();
        assert_eq!(read(&npy("<f4", true, (2, 3), &data)).unwrap(), vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        let data: Vec<u8> = [1.0f64, 2.0, 3.0, 4.0].iter().flat_map(|x| x.to_le_bytes()).collect();
        assert_eq!(read(&npy("<f8", false, (2, 2), &data)).unwrap(), vec![1.0, 2.0, 3.0, 4.0]);
    }

    #[test]
    fn shapes_that_disagree_with_the_data_are_refused_before_allocating() {
        let err = read(&npy("<f4", false, (u64::MAX / 8, 2), &[0; 8])).unwrap_err();
        assert!(err.contains("overflows") || err.contains("truncated"), "{err}");
        let err = read(&npy("<f4", false, (1_000_000_000, 50), &[0; 8])).unwrap_err();
        assert!(err.contains("truncated"), "{err}");
        let err = read(&npy("<f4", false, (1, 1), &[0; 8])).unwrap_err();
        assert!(err.contains("unexpected bytes"), "{err}");
        assert!(read(&npy("<i8", false, (1, 1), &[0; 8])).unwrap_err().contains("dtype"));
        assert!(read(&npy("<f4", false, (4, 0), &[])).is_ok());
        assert!(read(b"\x93NUMPY\x01\x00\xff").unwrap_err().contains("truncated"));
    }

    #[test]
    fn vectors_round_trip_and_bad_shapes_or_values_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("z.npy");
        let values: Vec<f32> = (0..6).map(|i| i as f32 - 2.5).collect();
        write_matrix(&path, 2, 3, &values).unwrap();
        assert_eq!(read_vectors(&path, 3, 10).unwrap(), vec![values[..3].to_vec(), values[3..].to_vec()]);
        let err = read_vectors(&path, 4, 10).unwrap_err().to_string();
        assert!(err.contains("shape (2, 3)") && err.contains("(4,) or (n, 4)"), "{err}");
        assert!(read_vectors(&path, 3, 1).unwrap_err().to_string().contains("between 1 and 1"));
        // One-dimensional arrays are one vector, and are not a space's matrix.
        let data: Vec<u8> = [1.0f32, 2.0, 3.0].iter().flat_map(|x| x.to_le_bytes()).collect();
        let mut bytes = npy("<f4", false, (3, 0), &data);
        let at = bytes.windows(6).position(|w| w == b"(3, 0)").unwrap();
        bytes[at..at + 6].copy_from_slice(b"(3,)  ");
        std::fs::write(&path, &bytes).unwrap();
        assert_eq!(read_vectors(&path, 3, 10).unwrap(), vec![vec![1.0, 2.0, 3.0]]);
        assert!(read_header(&mut bytes.as_slice()).unwrap_err().to_string().contains("found shape (3,)"));
        let mut with_nan = values.clone();
        with_nan[4] = f32::NAN;
        write_matrix(&path, 2, 3, &with_nan).unwrap();
        let err = read_vectors(&path, 3, 10).unwrap_err().to_string();
        assert!(err.contains("vector 1 holds a non-finite value (NaN) at index 1"), "{err}");
    }

    #[test]
    fn transpose_handles_tiles_and_edges() {
        let (rows, cols) = (70, 130);
        let values: Vec<f32> = (0..rows * cols).map(|i| i as f32).collect();
        let t = transpose(&values, rows, cols);
        for r in 0..rows {
            for c in 0..cols {
                assert_eq!(t[c * rows + r], values[r * cols + c]);
            }
        }
    }
}

//! One string column of a Parquet file, read without the Apache `parquet` crate (which, with
//! Arrow's types, would be most of a words-only build): the footer's Thrift metadata, the column's
//! pages (uncompressed or Snappy), definition levels, and PLAIN or dictionary-encoded values.
//!
//! It reads what vocabularies in packages use — a flat schema, a required or optional BYTE_ARRAY
//! column without nulls, data pages v1 and v2, PLAIN, dictionary and delta encodings — and
//! refuses the rest by name. Every length and
//! count read from the file is checked against the bytes that hold it before anything is
//! allocated. `tests.rs` holds it to the `parquet` crate's answers.

use std::fmt;

/// What went wrong, in words for the package error that carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParquetError(pub String);

impl fmt::Display for ParquetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

type Result<T> = std::result::Result<T, ParquetError>;

fn fail<T>(message: impl Into<String>) -> Result<T> {
    Err(ParquetError(message.into()))
}

const MAGIC: &[u8] = b"PAR1";

/// Every value of the string column `column`, in row order; a null is an error.
pub fn strings(file: &[u8], column: &str) -> Result<Vec<String>> {
    if file.len() < 12 || &file[..4] != MAGIC || &file[file.len() - 4..] != MAGIC {
        return fail("not a Parquet file (no PAR1 at both ends)");
    }
    let footer_len = u32::from_le_bytes(file[file.len() - 8..file.len() - 4].try_into().expect("4 bytes")) as usize;
    let Some(footer_start) = (file.len() - 8).checked_sub(footer_len).filter(|&s| s >= 4) else {
        return fail("the footer is longer than the file");
    };
    let metadata = Thrift::new(&file[footer_start..file.len() - 8]).read_struct(0)?;
    let schema = metadata.list(2)?;
    // The root, then one leaf per column: nested schemas are not vocabularies.
    let leaves = &schema[1.min(schema.len())..];
    if leaves.iter().any(|e| e.as_struct().and_then(|s| s.int(5)).unwrap_or(0) > 0) {
        return fail("nested schemas are not supported");
    }
    let position = leaves
        .iter()
        .position(|e| e.as_struct().and_then(|s| s.binary(4)) == Some(column.as_bytes()))
        .ok_or_else(|| ParquetError(format!("no column named {column:?}")))?;
    let leaf = leaves[position].as_struct().expect("checked");
    const BYTE_ARRAY: i64 = 6;
    if leaf.int(1) != Some(BYTE_ARRAY) {
        return fail(format!("column {column:?} does not hold strings (physical type {:?})", leaf.int(1)));
    }
    // Repetition: 0 required, 1 optional (one definition level), 2 repeated.
    let optional = match leaf.int(3).unwrap_or(0) {
        0 => false,
        1 => true,
        _ => return fail(format!("column {column:?} is repeated")),
    };
    let rows = metadata.int(3).unwrap_or(0);
    let rows = usize::try_from(rows).map_err(|_| ParquetError(format!("{rows} rows")))?;
    // Each value takes at least four bytes of the file (its length), so this bounds allocation.
    if rows > file.len() / 4 {
        return fail(format!("{rows} rows cannot fit in {} bytes", file.len()));
    }
    let mut values = Vec::with_capacity(rows);
    for group in metadata.list(4)? {
        let chunk = group.as_struct().ok_or_else(|| ParquetError("a row group is not a struct".into()))?;
        let columns = chunk.list(1)?;
        let meta = columns
            .get(position)
            .and_then(Value::as_struct)
            .and_then(|c| c.field(3))
            .and_then(Value::as_struct)
            .ok_or_else(|| ParquetError("a row group lacks the column's metadata".into()))?;
        read_chunk(file, meta, optional, &mut values)?;
    }
    if values.len() != rows {
        return fail(format!("the file says {rows} rows but holds {} values", values.len()));
    }
    Ok(values)
}

/// Compression codecs (`CompressionCodec` in parquet.thrift).
const UNCOMPRESSED: i64 = 0;
const SNAPPY: i64 = 1;

/// Value encodings (`Encoding` in parquet.thrift).
const PLAIN: i64 = 0;
const PLAIN_DICTIONARY: i64 = 2;
const DELTA_LENGTH_BYTE_ARRAY: i64 = 6;
const DELTA_BYTE_ARRAY: i64 = 7;
const RLE_DICTIONARY: i64 = 8;

/// Appends the values of one column chunk.
fn read_chunk(file: &[u8], meta: &Struct, optional: bool, values: &mut Vec<String>) -> Result<()> {
    let codec = meta.int(4).unwrap_or(UNCOMPRESSED);
    if codec != UNCOMPRESSED && codec != SNAPPY {
        return fail(format!("compression codec {codec} is not supported (uncompressed and Snappy are)"));
    }
    let wanted = meta.int(5).unwrap_or(0);
    let start = meta.int(11).filter(|&o| o > 0).or(meta.int(9)).unwrap_or(0);
    let mut at = usize::try_from(start)
        .ok()
        .filter(|&s| s < file.len())
        .ok_or_else(|| ParquetError(format!("the column's pages start at {start}, outside the file")))?;
    let mut dictionary: Option<Vec<String>> = None;
    let mut read: i64 = 0;
    while read < wanted {
        let mut thrift = Thrift::new(&file[at..]);
        let header = thrift.read_struct(0)?;
        at += thrift.position;
        let compressed = size(header.int(3), "page size")?;
        let uncompressed = size(header.int(2), "page size")?;
        let body = file.get(at..at + compressed).ok_or_else(|| ParquetError("a page runs past the file".into()))?;
        at += compressed;
        match header.int(1) {
            // A dictionary page: PLAIN values that data pages refer to by index.
            Some(2) => {
                let page = header.field(7).and_then(Value::as_struct).ok_or_else(|| missing("dictionary"))?;
                let count = size(page.int(1), "dictionary size")?;
                let data = decompress(codec, body, uncompressed)?;
                dictionary = Some(plain_strings(&data, count)?);
            }
            // Data page v1: levels and values, all compressed together.
            Some(0) => {
                let page = header.field(5).and_then(Value::as_struct).ok_or_else(|| missing("data"))?;
                let count = size(page.int(1), "value count")?;
                let data = decompress(codec, body, uncompressed)?;
                let mut rest = data.as_slice();
                if optional {
                    // Definition levels, RLE with a 4-byte length (bit width 1 for a flat column).
                    let length = rest.get(..4).map(|b| u32::from_le_bytes(b.try_into().expect("4")) as usize);
                    let levels = length.and_then(|n| rest.get(4..4 + n)).ok_or_else(|| missing("levels"))?;
                    check_no_nulls(levels, count)?;
                    rest = &rest[4 + levels.len()..];
                }
                values.extend(decode_values(page.int(2), rest, count, dictionary.as_deref())?);
                read += count as i64;
            }
            // Data page v2: levels uncompressed before the values, which alone may be compressed.
            Some(3) => {
                let page = header.field(8).and_then(Value::as_struct).ok_or_else(|| missing("data v2"))?;
                let count = size(page.int(1), "value count")?;
                if page.int(2).unwrap_or(0) != 0 {
                    return fail("the column holds nulls");
                }
                let levels = size(page.int(5), "level length")? + size(page.int(6), "level length")?;
                let raw = body.get(levels..).ok_or_else(|| missing("levels"))?;
                let compressed = page.bool(7).unwrap_or(true);
                let data = if compressed {
                    decompress(codec, raw, uncompressed.saturating_sub(levels))?
                } else {
                    raw.to_vec()
                };
                values.extend(decode_values(page.int(4), &data, count, dictionary.as_deref())?);
                read += count as i64;
            }
            // Index pages carry no values.
            Some(1) => {}
            other => return fail(format!("page type {other:?} is not supported")),
        }
    }
    Ok(())
}

fn missing(what: &str) -> ParquetError {
    ParquetError(format!("a page lacks its {what} header"))
}

/// A size from the file as usize (negative sizes are damage).
fn size(value: Option<i64>, what: &str) -> Result<usize> {
    value.and_then(|v| usize::try_from(v).ok()).ok_or_else(|| ParquetError(format!("a missing or negative {what}")))
}

fn decompress(codec: i64, body: &[u8], uncompressed: usize) -> Result<Vec<u8>> {
    if codec == UNCOMPRESSED {
        return Ok(body.to_vec());
    }
    let length = snap::raw::decompress_len(body).map_err(|e| ParquetError(format!("Snappy: {e}")))?;
    if length != uncompressed {
        return fail(format!("a page says {uncompressed} bytes but decompresses to {length}"));
    }
    snap::raw::Decoder::new().decompress_vec(body).map_err(|e| ParquetError(format!("Snappy: {e}")))
}

/// `count` PLAIN byte arrays: each a 4-byte little-endian length and its bytes.
fn plain_strings(mut data: &[u8], count: usize) -> Result<Vec<String>> {
    if count > data.len() / 4 {
        return fail(format!("{count} values cannot fit in {} bytes", data.len()));
    }
    let mut out = Vec::with_capacity(count);
    for _ in 0..count {
        let length = data.get(..4).map(|b| u32::from_le_bytes(b.try_into().expect("4")) as usize);
        let bytes =
            length.and_then(|n| data.get(4..4 + n)).ok_or_else(|| ParquetError("a value runs past its page".into()))?;
        let text = std::str::from_utf8(bytes).map_err(|_| ParquetError(format!("value {} is not UTF-8", out.len())))?;
        out.push(text.to_owned());
        data = &data[4 + bytes.len()..];
    }
    Ok(out)
}

fn decode_values(
    encoding: Option<i64>,
    data: &[u8],
    count: usize,
    dictionary: Option<&[String]>,
) -> Result<Vec<String>> {
    match encoding {
        Some(PLAIN) => plain_strings(data, count),
        Some(PLAIN_DICTIONARY | RLE_DICTIONARY) => {
            let dictionary = dictionary.ok_or_else(|| ParquetError("dictionary indices before a dictionary".into()))?;
            let (&width, packed) = data.split_first().ok_or_else(|| missing("index"))?;
            hybrid(packed, width, count)?
                .into_iter()
                .map(|i| {
                    dictionary
                        .get(i as usize)
                        .cloned()
                        .ok_or_else(|| ParquetError(format!("index {i} past the dictionary")))
                })
                .collect()
        }
        Some(DELTA_LENGTH_BYTE_ARRAY) => {
            let (lengths, rest) = delta_binary_packed(data, count)?;
            suffixes(&lengths, rest)?.into_iter().map(utf8).collect()
        }
        Some(DELTA_BYTE_ARRAY) => {
            // Each value shares a prefix with the one before, then adds a suffix.
            let (prefixes, rest) = delta_binary_packed(data, count)?;
            let (lengths, rest) = delta_binary_packed(rest, count)?;
            let mut previous: Vec<u8> = Vec::new();
            let mut out = Vec::with_capacity(count);
            for (prefix, suffix) in prefixes.into_iter().zip(suffixes(&lengths, rest)?) {
                let prefix = usize::try_from(prefix).ok().filter(|&p| p <= previous.len());
                let prefix = prefix.ok_or_else(|| ParquetError("a prefix longer than the value before".into()))?;
                previous.truncate(prefix);
                previous.extend_from_slice(suffix);
                out.push(utf8(&previous)?);
            }
            Ok(out)
        }
        other => fail(format!("value encoding {other:?} is not supported (PLAIN, dictionary and delta are)")),
    }
}

fn utf8(bytes: &[u8]) -> Result<String> {
    String::from_utf8(bytes.to_vec()).map_err(|_| ParquetError("a value is not UTF-8".into()))
}

/// Consecutive byte strings of the given lengths.
fn suffixes<'a>(lengths: &[i64], mut data: &'a [u8]) -> Result<Vec<&'a [u8]>> {
    lengths
        .iter()
        .map(|&length| {
            let length = usize::try_from(length).ok().filter(|&n| n <= data.len());
            let length = length.ok_or_else(|| ParquetError("a value runs past its page".into()))?;
            let (value, rest) = data.split_at(length);
            data = rest;
            Ok(value)
        })
        .collect()
}

/// `count` integers of the DELTA_BINARY_PACKED encoding, and the bytes after them.
fn delta_binary_packed(mut data: &[u8], count: usize) -> Result<(Vec<i64>, &[u8])> {
    let zigzag = |v: u64| (v >> 1) as i64 ^ -((v & 1) as i64);
    let block = usize::try_from(varint(&mut data)?).unwrap_or(usize::MAX);
    let miniblocks = usize::try_from(varint(&mut data)?).unwrap_or(usize::MAX);
    let total = usize::try_from(varint(&mut data)?).unwrap_or(usize::MAX);
    let mut value = zigzag(varint(&mut data)?);
    if block == 0 || miniblocks == 0 || block % miniblocks != 0 || (block / miniblocks) % 8 != 0 || block > 1 << 16 {
        return fail(format!("a delta block of {block} values in {miniblocks} miniblocks"));
    }
    if total != count {
        return fail(format!("a delta run of {total} values where the page has {count}"));
    }
    let per_miniblock = block / miniblocks;
    let mut out = Vec::with_capacity(count.min(data.len() * 8 + 1));
    if count > 0 {
        out.push(value);
    }
    while out.len() < count {
        let min_delta = zigzag(varint(&mut data)?);
        let widths = data.get(..miniblocks).ok_or_else(|| ParquetError("delta widths past the page".into()))?.to_vec();
        data = &data[miniblocks..];
        for width in widths {
            if out.len() == count {
                break;
            }
            let width = usize::from(width);
            if width > 64 {
                return fail(format!("a delta bit width of {width}"));
            }
            let bytes = per_miniblock * width / 8;
            let packed = data.get(..bytes).ok_or_else(|| ParquetError("delta values past the page".into()))?;
            data = &data[bytes..];
            for i in 0..per_miniblock.min(count - out.len()) {
                let mut delta = 0u64;
                for bit in 0..width {
                    let at = i * width + bit;
                    delta |= u64::from((packed[at / 8] >> (at % 8)) & 1) << bit;
                }
                value = value.wrapping_add(min_delta).wrapping_add(delta as i64);
                out.push(value);
            }
        }
    }
    Ok((out, data))
}

/// Definition levels of a flat optional column must all be 1 (present).
fn check_no_nulls(levels: &[u8], count: usize) -> Result<()> {
    if hybrid(levels, 1, count)?.iter().any(|&l| l != 1) { fail("the column holds nulls") } else { Ok(()) }
}

/// `count` values of the RLE / bit-packed hybrid encoding with `width` bits each.
fn hybrid(mut data: &[u8], width: u8, count: usize) -> Result<Vec<u32>> {
    if width > 32 {
        return fail(format!("a bit width of {width}"));
    }
    let width = usize::from(width);
    let mut out = Vec::with_capacity(count.min(data.len() * 8 + 8));
    while out.len() < count {
        let header = varint(&mut data)?;
        if header & 1 == 0 {
            // A run: one value repeated.
            let run = usize::try_from(header >> 1).map_err(|_| ParquetError("a run too long".into()))?;
            let bytes = width.div_ceil(8);
            let value = data.get(..bytes).ok_or_else(|| ParquetError("a run past its data".into()))?;
            let value = value.iter().rev().fold(0u32, |v, &b| (v << 8) | u32::from(b));
            data = &data[bytes..];
            out.extend(std::iter::repeat_n(value, run.min(count - out.len())));
        } else {
            // Groups of eight values, packed least significant bit first.
            let groups = usize::try_from(header >> 1).map_err(|_| ParquetError("too many groups".into()))?;
            let bytes = groups.checked_mul(width).ok_or_else(|| ParquetError("too many groups".into()))?;
            let packed = data.get(..bytes).ok_or_else(|| ParquetError("packed values past their data".into()))?;
            data = &data[bytes..];
            for i in 0..(groups * 8).min(count - out.len()) {
                let mut value = 0u32;
                for bit in 0..width {
                    let at = i * width + bit;
                    value |= u32::from((packed[at / 8] >> (at % 8)) & 1) << bit;
                }
                out.push(value);
            }
        }
    }
    Ok(out)
}

fn varint(data: &mut &[u8]) -> Result<u64> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let (&byte, rest) = data.split_first().ok_or_else(|| ParquetError("a number past the end".into()))?;
        *data = rest;
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Ok(value);
        }
    }
    fail("a number longer than 64 bits")
}

/// A value of Thrift's compact protocol, as far as Parquet's metadata needs.
#[derive(Debug)]
enum Value {
    Bool(bool),
    Int(i64),
    Double,
    Binary(Vec<u8>),
    List(Vec<Value>),
    Struct(Struct),
    Map,
}

impl Value {
    fn as_struct(&self) -> Option<&Struct> {
        if let Value::Struct(s) = self { Some(s) } else { None }
    }
}

/// A Thrift struct: its fields by id.
#[derive(Debug, Default)]
struct Struct(Vec<(i16, Value)>);

impl Struct {
    fn field(&self, id: i16) -> Option<&Value> {
        self.0.iter().find(|(i, _)| *i == id).map(|(_, v)| v)
    }

    fn int(&self, id: i16) -> Option<i64> {
        if let Some(Value::Int(v)) = self.field(id) { Some(*v) } else { None }
    }

    fn bool(&self, id: i16) -> Option<bool> {
        if let Some(Value::Bool(v)) = self.field(id) { Some(*v) } else { None }
    }

    fn binary(&self, id: i16) -> Option<&[u8]> {
        if let Some(Value::Binary(v)) = self.field(id) { Some(v) } else { None }
    }

    fn list(&self, id: i16) -> Result<&[Value]> {
        match self.field(id) {
            Some(Value::List(items)) => Ok(items),
            _ => fail(format!("the metadata lacks list field {id}")),
        }
    }
}

/// Deeper nesting than Parquet's metadata has is damage (and would exhaust the stack).
const MOST_DEPTH: usize = 32;

struct Thrift<'a> {
    data: &'a [u8],
    position: usize,
}

impl<'a> Thrift<'a> {
    fn new(data: &'a [u8]) -> Self {
        Thrift { data, position: 0 }
    }

    fn byte(&mut self) -> Result<u8> {
        let byte = *self.data.get(self.position).ok_or_else(|| ParquetError("the metadata ends early".into()))?;
        self.position += 1;
        Ok(byte)
    }

    fn varint(&mut self) -> Result<u64> {
        let mut rest = &self.data[self.position..];
        let before = rest.len();
        let value = varint(&mut rest)?;
        self.position += before - rest.len();
        Ok(value)
    }

    fn zigzag(&mut self) -> Result<i64> {
        let v = self.varint()?;
        Ok((v >> 1) as i64 ^ -((v & 1) as i64))
    }

    fn read_struct(&mut self, depth: usize) -> Result<Struct> {
        if depth > MOST_DEPTH {
            return fail("the metadata nests too deeply");
        }
        let mut fields = Vec::new();
        let mut last: i16 = 0;
        loop {
            let header = self.byte()?;
            if header == 0 {
                return Ok(Struct(fields));
            }
            let delta = i16::from(header >> 4);
            let id = if delta == 0 {
                i16::try_from(self.zigzag()?).map_err(|_| ParquetError("a field id out of range".into()))?
            } else {
                last.checked_add(delta).ok_or_else(|| ParquetError("a field id out of range".into()))?
            };
            last = id;
            let value = match header & 0x0f {
                1 => Value::Bool(true),
                2 => Value::Bool(false),
                kind => self.value(kind, depth)?,
            };
            fields.push((id, value));
        }
    }

    fn value(&mut self, kind: u8, depth: usize) -> Result<Value> {
        Ok(match kind {
            3 => Value::Int(i64::from(self.byte()? as i8)),
            4..=6 => Value::Int(self.zigzag()?),
            7 => {
                self.position += 8;
                if self.position > self.data.len() {
                    return fail("the metadata ends early");
                }
                Value::Double
            }
            8 => {
                let length = usize::try_from(self.varint()?).unwrap_or(usize::MAX);
                let end = self.position.checked_add(length).filter(|&e| e <= self.data.len());
                let end = end.ok_or_else(|| ParquetError("a string runs past the metadata".into()))?;
                let bytes = self.data[self.position..end].to_vec();
                self.position = end;
                Value::Binary(bytes)
            }
            9 | 10 => {
                let header = self.byte()?;
                let count = match header >> 4 {
                    15 => usize::try_from(self.varint()?).unwrap_or(usize::MAX),
                    n => usize::from(n),
                };
                // Every element takes at least one byte.
                if count > self.data.len() - self.position {
                    return fail("a list longer than the metadata");
                }
                let element = header & 0x0f;
                let mut items = Vec::with_capacity(count);
                for _ in 0..count {
                    items.push(match element {
                        1 | 2 => Value::Bool(self.byte()? == 1),
                        kind => self.value(kind, depth + 1)?,
                    });
                }
                Value::List(items)
            }
            11 => {
                let count = usize::try_from(self.varint()?).unwrap_or(usize::MAX);
                if count > 0 {
                    if count > self.data.len() - self.position {
                        return fail("a map longer than the metadata");
                    }
                    let types = self.byte()?;
                    for _ in 0..count {
                        for kind in [types >> 4, types & 0x0f] {
                            match kind {
                                1 | 2 => drop(self.byte()?),
                                kind => drop(self.value(kind, depth + 1)?),
                            }
                        }
                    }
                }
                Value::Map
            }
            12 => Value::Struct(self.read_struct(depth + 1)?),
            other => return fail(format!("Thrift type {other} in the metadata")),
        })
    }
}

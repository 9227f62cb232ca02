//! vecspace's native format: one little-endian file, memory-mapped on open, so a 400 000-word
//! space is ready in about a millisecond. The layout is specified in `docs/FORMAT.md`.
//!
//! ```text
//! header (128 bytes) | matrix f32 | norms f32 | word offsets u64 | word bytes | hash index u32 | metadata
//!   [version 2: | subword header (64 bytes) | n-gram table f32]
//! ```
//! Every section starts on a 64-byte boundary. Opening checks the structure (magic, version,
//! sizes, offsets, UTF-8) against the file's length; it does not re-read the 80 MB of values.
//! A space without subwords is written as version 1, so every earlier reader still opens it.

use std::fmt;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use memmap2::Mmap;
use vecspace_core::subwords::{MOST_NGRAM_CHARS, Subwords, Values};
use vecspace_core::{Matrix, Space, Vocabulary};

use crate::checksum;
use crate::error::Location;
use crate::{Error, Result, write_atomically};

#[cfg(target_endian = "big")]
compile_error!("the native format is mapped in place and needs a little-endian CPU");

/// The first eight bytes of every native file.
pub const MAGIC: &[u8; 8] = b"VECSPACE";
/// The newest layout version this code reads and writes: version 1 with a subword section after
/// the metadata. Version 1 (no subwords) is read and, for a space without subwords, written.
pub const VERSION: u32 = 2;
/// dtype code for little-endian IEEE-754 f32, the only one in versions 1 and 2.
pub const DTYPE_F32: u32 = 1;
pub const HEADER_LEN: usize = 128;
/// The first eight bytes of the subword section.
const SUBWORDS_MAGIC: &[u8; 8] = b"SUBWORDS";
/// Bytes of the subword section's header, before its table.
const SUBWORDS_HEADER_LEN: u64 = 64;
/// Code of fastText's n-gram hash (FNV-1a-32 over sign-extended bytes), the only one so far.
const HASH_FASTTEXT: u32 = 1;
/// Where the header records the checksum of everything after it, then the algorithm's code.
const CHECKSUM_AT: usize = 112;
const ALIGN: u64 = 64;

/// The n-gram settings recorded in a version 2 file's subword section.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct SubwordShape {
    minn: u32,
    maxn: u32,
    buckets: u64,
}

/// The parsed header: where each section lies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Header {
    version: u32,
    rows: u64,
    dims: u64,
    matrix_offset: u64,
    norms_offset: u64,
    word_offsets_offset: u64,
    words_offset: u64,
    words_len: u64,
    index_offset: u64,
    index_slots: u64,
    metadata_offset: u64,
    metadata_len: u64,
    /// Version 2: the subword section's settings and where it starts.
    subwords: Option<(SubwordShape, u64)>,
    file_len: u64,
}

impl Header {
    /// Lays out a file for `rows` words of `dims` dimensions, `words_len` bytes of words,
    /// `metadata_len` bytes of metadata and, in version 2, a subword table.
    fn layout(rows: u64, dims: u64, words_len: u64, metadata_len: u64, subwords: Option<SubwordShape>) -> Header {
        let align = |x: u64| x.div_ceil(ALIGN) * ALIGN;
        let matrix_offset = HEADER_LEN as u64;
        let norms_offset = align(matrix_offset + rows * dims * 4);
        let word_offsets_offset = align(norms_offset + rows * 4);
        let words_offset = word_offsets_offset + (rows + 1) * 8;
        let index_offset = align(words_offset + words_len);
        let index_slots = index_slots(rows);
        let metadata_offset = align(index_offset + index_slots * 4);
        let metadata_end = metadata_offset + metadata_len;
        let subwords = subwords.map(|shape| (shape, align(metadata_end)));
        let file_len = match subwords {
            Some((shape, offset)) => offset + SUBWORDS_HEADER_LEN + shape.buckets * dims * 4,
            None => metadata_end,
        };
        Header {
            version: if subwords.is_some() { 2 } else { 1 },
            rows,
            dims,
            matrix_offset,
            norms_offset,
            word_offsets_offset,
            words_offset,
            words_len,
            index_offset,
            index_slots,
            metadata_offset,
            metadata_len,
            subwords,
            file_len,
        }
    }

    fn encode(&self, checksum: u64) -> [u8; HEADER_LEN] {
        let mut bytes = [0u8; HEADER_LEN];
        bytes[..8].copy_from_slice(MAGIC);
        bytes[8..12].copy_from_slice(&self.version.to_le_bytes());
        bytes[12..16].copy_from_slice(&DTYPE_F32.to_le_bytes());
        let fields = [
            self.rows,
            self.dims,
            self.matrix_offset,
            self.norms_offset,
            self.word_offsets_offset,
            self.words_offset,
            self.words_len,
            self.index_offset,
            self.index_slots,
            self.metadata_offset,
            self.metadata_len,
            self.file_len,
        ];
        for (i, field) in fields.iter().enumerate() {
            bytes[16 + i * 8..24 + i * 8].copy_from_slice(&field.to_le_bytes());
        }
        bytes[CHECKSUM_AT..CHECKSUM_AT + 8].copy_from_slice(&checksum.to_le_bytes());
        bytes[CHECKSUM_AT + 8..CHECKSUM_AT + 12].copy_from_slice(&checksum::SHA256_64.to_le_bytes());
        bytes
    }

    fn decode(bytes: &[u8], path: &Path) -> Result<Header> {
        let bad = |message: String| Error::malformed(path, Location::Header, message);
        if bytes.len() < HEADER_LEN || &bytes[..8] != MAGIC {
            return Err(bad("not a vecspace native file (bad magic or shorter than the header)".into()));
        }
        let u32_at = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().expect("4 bytes"));
        let u64_at = |i: usize| u64::from_le_bytes(bytes[16 + i * 8..24 + i * 8].try_into().expect("8 bytes"));
        let (version, dtype) = (u32_at(8), u32_at(12));
        if !(1..=VERSION).contains(&version) {
            return Err(bad(format!("format version {version}; this build reads versions 1 to {VERSION}")));
        }
        if dtype != DTYPE_F32 {
            return Err(bad(format!("unknown dtype code {dtype}; versions 1 and 2 store f32 (code 1)")));
        }
        let header = Header {
            version,
            rows: u64_at(0),
            dims: u64_at(1),
            matrix_offset: u64_at(2),
            norms_offset: u64_at(3),
            word_offsets_offset: u64_at(4),
            words_offset: u64_at(5),
            words_len: u64_at(6),
            index_offset: u64_at(7),
            index_slots: u64_at(8),
            metadata_offset: u64_at(9),
            metadata_len: u64_at(10),
            subwords: None,
            file_len: u64_at(11),
        };
        if header.dims == 0 {
            return Err(bad("zero dimensions".into()));
        }
        if header.rows >= u64::from(u32::MAX) || header.dims > (1 << 24) {
            return Err(bad(format!("implausible shape {} × {}", header.rows, header.dims)));
        }
        // Bounded so that the layout arithmetic below cannot overflow.
        if header.words_len >= 1 << 48 || header.metadata_len >= 1 << 48 {
            return Err(bad("implausible section length".into()));
        }
        let subwords = match version {
            1 => None,
            // Where the section starts follows from the shape, bounded above; the header's own
            // offsets are compared with the layout below.
            _ => {
                let base = Header::layout(header.rows, header.dims, header.words_len, header.metadata_len, None);
                Some(subword_shape(bytes, base.file_len.div_ceil(ALIGN) * ALIGN, path)?)
            }
        };
        // The layout is a function of four numbers and the subword table's size: any other
        // offsets mean corruption.
        let expected = Header::layout(header.rows, header.dims, header.words_len, header.metadata_len, subwords);
        let header = Header { subwords: expected.subwords, ..header };
        if header != expected {
            return Err(bad("section offsets disagree with the shape; the file is corrupt".into()));
        }
        Ok(header)
    }
}

/// Reads the subword section's header of a version 2 file, at byte `at` (the first 64-byte
/// boundary after the metadata).
fn subword_shape(bytes: &[u8], at: u64, path: &Path) -> Result<SubwordShape> {
    let bad = |message: &str| Error::malformed(path, Location::Byte(at), message.to_owned());
    let section = usize::try_from(at)
        .ok()
        .and_then(|at| bytes.get(at..at + SUBWORDS_HEADER_LEN as usize))
        .ok_or_else(|| bad("the file ends before its subword section"))?;
    if &section[..8] != SUBWORDS_MAGIC {
        return Err(bad("the subword section does not start with SUBWORDS"));
    }
    let u32_at = |i: usize| u32::from_le_bytes(section[i..i + 4].try_into().expect("4 bytes"));
    let shape = SubwordShape {
        minn: u32_at(8),
        maxn: u32_at(12),
        buckets: u64::from_le_bytes(section[16..24].try_into().expect("8 bytes")),
    };
    if u32_at(24) != HASH_FASTTEXT {
        return Err(bad(&format!("unknown n-gram hash code {}; version 2 knows fastText's (1)", u32_at(24))));
    }
    let lengths_fit = shape.minn >= 1 && shape.minn <= shape.maxn && shape.maxn as usize <= MOST_NGRAM_CHARS;
    // Bounded so that the layout arithmetic cannot overflow; the file's length then decides.
    if !lengths_fit || shape.buckets == 0 || shape.buckets >= 1 << 32 {
        return Err(bad(&format!(
            "implausible subword settings: n-grams of {} to {} characters in {} buckets",
            shape.minn, shape.maxn, shape.buckets
        )));
    }
    Ok(shape)
}

/// Hash-table size for `rows` words: a power of two at least twice the count, so linear probing
/// stays short and always finds an empty slot.
fn index_slots(rows: u64) -> u64 {
    (rows * 2).max(2).next_power_of_two()
}

/// FNV-1a, 64-bit: simple, stable across platforms and versions, good enough for words.
fn hash(word: &[u8]) -> u64 {
    word.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3))
}

/// Writes `space` in the native format, atomically.
pub fn write(space: &Space, path: &Path) -> Result<()> {
    let vocab = space.vocab();
    let rows = space.len() as u64;
    if rows >= u64::from(u32::MAX) {
        return Err(Error::malformed(path, Location::Header, "more than 4 294 967 294 words"));
    }
    let mut metadata = Vec::new();
    metadata.extend_from_slice(&(space.metadata().len() as u32).to_le_bytes());
    for (key, value) in space.metadata() {
        for text in [key, value] {
            metadata.extend_from_slice(&(text.len() as u32).to_le_bytes());
            metadata.extend_from_slice(text.as_bytes());
        }
    }
    let words_len: u64 = (0..space.len()).map(|row| vocab.word(row).len() as u64).sum();
    let subwords = space.subwords().map(|table| SubwordShape {
        minn: table.minn() as u32,
        maxn: table.maxn() as u32,
        buckets: table.buckets() as u64,
    });
    let header = Header::layout(rows, space.dims() as u64, words_len, metadata.len() as u64, subwords);

    let mut slots = vec![0u32; header.index_slots as usize];
    let mask = header.index_slots - 1;
    for row in 0..space.len() {
        let mut slot = hash(vocab.word(row).as_bytes()) & mask;
        while slots[slot as usize] != 0 {
            slot = (slot + 1) & mask;
        }
        slots[slot as usize] = row as u32 + 1;
    }

    // Everything after the header, written twice: once to take its checksum for the header,
    // once to the file (cheaper than reading the file back).
    let body = |out: &mut SectionWriter| -> Result<()> {
        out.put(as_bytes(space.matrix().data()))?;
        out.pad_to(header.norms_offset)?;
        out.put(as_bytes(space.matrix().norms()))?;
        out.pad_to(header.word_offsets_offset)?;
        let mut offset = 0u64;
        out.put(&offset.to_le_bytes())?;
        for row in 0..space.len() {
            offset += vocab.word(row).len() as u64;
            out.put(&offset.to_le_bytes())?;
        }
        for row in 0..space.len() {
            out.put(vocab.word(row).as_bytes())?;
        }
        out.pad_to(header.index_offset)?;
        out.put(as_bytes_u32(&slots))?;
        out.pad_to(header.metadata_offset)?;
        out.put(&metadata)?;
        if let (Some((shape, offset)), Some(table)) = (header.subwords, space.subwords()) {
            out.pad_to(offset)?;
            let mut section = [0u8; SUBWORDS_HEADER_LEN as usize];
            section[..8].copy_from_slice(SUBWORDS_MAGIC);
            section[8..12].copy_from_slice(&shape.minn.to_le_bytes());
            section[12..16].copy_from_slice(&shape.maxn.to_le_bytes());
            section[16..24].copy_from_slice(&shape.buckets.to_le_bytes());
            section[24..28].copy_from_slice(&HASH_FASTTEXT.to_le_bytes());
            out.put(&section)?;
            out.put(as_bytes(table.values()))?;
        }
        debug_assert_eq!(out.written, header.file_len);
        Ok(())
    };
    let mut sink = checksum::Sink::default();
    body(&mut SectionWriter { out: &mut sink, written: HEADER_LEN as u64, path })?;
    let checksum = sink.checksum();
    write_atomically(path, |out| {
        out.write_all(&header.encode(checksum)).map_err(|e| Error::io(path, e))?;
        body(&mut SectionWriter { out, written: HEADER_LEN as u64, path })
    })
}

/// Reads the whole native file at `path` and checks it against the checksum in its header (and
/// its structure, as opening does).
pub fn verify(path: &Path) -> Result<checksum::Checked> {
    let space = open(path)?;
    let file = vecspace_core::io::open_regular(path).map_err(|e| Error::io(path, e))?;
    // SAFETY: as in `open`; read once, start to end.
    let map = unsafe { Mmap::map(&file) }.map_err(|e| Error::io(path, e))?;
    let header = Header::decode(&map, path)?;
    let end = (header.file_len as usize).min(map.len());
    let recorded = u64::from_le_bytes(map[CHECKSUM_AT..CHECKSUM_AT + 8].try_into().expect("8 bytes"));
    let algorithm = u32::from_le_bytes(map[CHECKSUM_AT + 8..CHECKSUM_AT + 12].try_into().expect("4 bytes"));
    drop(space);
    checksum::compare(path, "native", algorithm, recorded, &map[HEADER_LEN..end])
}

/// A writer that knows its position, to pad each section to its aligned offset.
struct SectionWriter<'a> {
    out: &'a mut dyn Write,
    written: u64,
    path: &'a Path,
}

impl SectionWriter<'_> {
    fn put(&mut self, bytes: &[u8]) -> Result<()> {
        self.written += bytes.len() as u64;
        self.out.write_all(bytes).map_err(|e| Error::io(self.path, e))
    }

    fn pad_to(&mut self, offset: u64) -> Result<()> {
        debug_assert!(offset >= self.written);
        self.put(&vec![0u8; (offset - self.written) as usize])
    }
}

fn as_bytes(values: &[f32]) -> &[u8] {
    // SAFETY: f32 has no padding and any byte pattern is a valid u8; the target is little-endian.
    unsafe { std::slice::from_raw_parts(values.as_ptr().cast(), std::mem::size_of_val(values)) }
}

fn as_bytes_u32(values: &[u32]) -> &[u8] {
    // SAFETY: as above.
    unsafe { std::slice::from_raw_parts(values.as_ptr().cast(), std::mem::size_of_val(values)) }
}

/// Opens a native file by memory-mapping it.
pub fn open(path: &Path) -> Result<Space> {
    let file = vecspace_core::io::open_regular(path).map_err(|e| Error::io(path, e))?;
    // SAFETY: the map is read-only. Like every mmap reader we rely on the file not being
    // truncated while mapped; vecspace itself only ever replaces files by renaming.
    let map = unsafe { Mmap::map(&file) }.map_err(|e| Error::io(path, e))?;
    if map.is_empty() {
        return Err(Error::Empty { path: path.to_owned() });
    }
    let header = Header::decode(&map, path)?;
    if header.file_len != map.len() as u64 {
        return Err(Error::Truncated {
            path: path.to_owned(),
            what: "the header",
            declared: header.file_len,
            available: map.len() as u64,
        });
    }
    let map = Arc::new(map);
    let vocab = MappedVocab::new(map.clone(), header, path)?;
    let metadata = read_metadata(&map[header.metadata_offset as usize..], path)?;
    let subwords = header.subwords.map(|(shape, offset)| {
        let table =
            MappedTable { map: map.clone(), offset: offset + SUBWORDS_HEADER_LEN, len: shape.buckets * header.dims };
        let table = Box::new(table) as Box<dyn Values>;
        Subwords::new(shape.minn as usize, shape.maxn as usize, shape.buckets as usize, header.dims as usize, table)
    });
    let matrix = MappedMatrix { map, header, file, path: path.to_owned() };
    let mut space = Space::new(Box::new(vocab), Box::new(matrix)).map_err(|e| Error::space(path, e))?;
    if let Some(subwords) = subwords {
        space = space.with_subwords(subwords.map_err(|e| Error::space(path, e))?).map_err(|e| Error::space(path, e))?;
    }
    for (key, value) in metadata {
        space = space.with_metadata(key, value);
    }
    Ok(space)
}

fn read_metadata(mut bytes: &[u8], path: &Path) -> Result<Vec<(String, String)>> {
    let bad = || Error::malformed(path, Location::Header, "the metadata section is corrupt");
    let take_u32 = |bytes: &mut &[u8]| -> Result<usize> {
        let (head, rest) = bytes.split_at_checked(4).ok_or_else(bad)?;
        *bytes = rest;
        Ok(u32::from_le_bytes(head.try_into().expect("4 bytes")) as usize)
    };
    let count = take_u32(&mut bytes)?;
    let mut entries = Vec::new();
    for _ in 0..count {
        let mut pair = [String::new(), String::new()];
        for text in &mut pair {
            let len = take_u32(&mut bytes)?;
            let (head, rest) = bytes.split_at_checked(len).ok_or_else(bad)?;
            *text = std::str::from_utf8(head).map_err(|_| bad())?.to_owned();
            bytes = rest;
        }
        let [key, value] = pair;
        entries.push((key, value));
    }
    Ok(entries)
}

/// The matrix and norms, read in place from the map.
struct MappedMatrix {
    map: Arc<Mmap>,
    header: Header,
    /// The mapped file, to notice it being truncated under the map (reading past its new end
    /// would fault the process with SIGBUS).
    file: std::fs::File,
    path: std::path::PathBuf,
}

impl MappedMatrix {
    fn floats(&self, offset: u64, count: u64) -> &[f32] {
        let bytes = &self.map[offset as usize..(offset + count * 4) as usize];
        // SAFETY: the map is page-aligned and every section offset is a multiple of 64, so the
        // pointer is aligned for f32; the header check bounded the range inside the map; any bit
        // pattern is a valid f32.
        unsafe { std::slice::from_raw_parts(bytes.as_ptr().cast(), count as usize) }
    }
}

impl fmt::Debug for MappedMatrix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MappedMatrix").field("rows", &self.header.rows).field("dims", &self.header.dims).finish()
    }
}

impl Matrix for MappedMatrix {
    fn dims(&self) -> usize {
        self.header.dims as usize
    }
    fn data(&self) -> &[f32] {
        self.floats(self.header.matrix_offset, self.header.rows * self.header.dims)
    }
    fn norms(&self) -> &[f32] {
        self.floats(self.header.norms_offset, self.header.rows)
    }
    fn check_intact(&self) -> vecspace_core::Result<()> {
        // The length of the open file, not of the path: a file renamed into place over it leaves
        // this one, and the map, as they were.
        let now = self.file.metadata().map(|m| m.len()).unwrap_or(0);
        let mapped = self.map.len() as u64;
        if now >= mapped {
            return Ok(());
        }
        let changed = Error::Changed { path: self.path.clone(), mapped, now };
        Err(vecspace_core::Error::SourceChanged { message: changed.to_string() })
    }
}

/// The subword table, read in place from the map.
struct MappedTable {
    map: Arc<Mmap>,
    offset: u64,
    /// Values, not bytes.
    len: u64,
}

impl fmt::Debug for MappedTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MappedTable").field("values", &self.len).finish()
    }
}

impl Values for MappedTable {
    fn values(&self) -> &[f32] {
        let bytes = &self.map[self.offset as usize..(self.offset + self.len * 4) as usize];
        // SAFETY: as for `MappedMatrix::floats`: a 64-byte aligned offset into a page-aligned map,
        // bounded by the header check against the file's length.
        unsafe { std::slice::from_raw_parts(bytes.as_ptr().cast(), self.len as usize) }
    }
}

/// Words and the hash index, read in place from the map.
struct MappedVocab {
    map: Arc<Mmap>,
    header: Header,
}

impl MappedVocab {
    /// Checks that the word offsets are monotone, end at the words' length and fall on character
    /// boundaries of valid UTF-8, and that index slots point at real rows.
    fn new(map: Arc<Mmap>, header: Header, path: &Path) -> Result<Self> {
        let vocab = MappedVocab { map, header };
        let words = &vocab.map[header.words_offset as usize..(header.words_offset + header.words_len) as usize];
        let text = std::str::from_utf8(words).map_err(|e| {
            Error::malformed(
                path,
                Location::Byte(header.words_offset + e.valid_up_to() as u64),
                "a word is not valid UTF-8",
            )
        })?;
        let mut previous = 0u64;
        for row in 0..=header.rows {
            let offset = vocab.offset(row as usize);
            let at = Location::Byte(header.word_offsets_offset + row * 8);
            if (row == 0 && offset != 0) || offset < previous || offset > header.words_len {
                return Err(Error::malformed(path, at, "word offsets are not increasing within the word section"));
            }
            if !text.is_char_boundary(offset as usize) {
                return Err(Error::malformed(path, at, "a word offset splits a UTF-8 character"));
            }
            previous = offset;
        }
        if previous != header.words_len {
            return Err(Error::malformed(path, Location::Header, "word offsets do not cover the word section"));
        }
        if vocab.slots().iter().any(|&slot| u64::from(slot) > header.rows) {
            return Err(Error::malformed(
                path,
                Location::Byte(header.index_offset),
                "the word index points past the last row",
            ));
        }
        Ok(vocab)
    }

    fn offset(&self, row: usize) -> u64 {
        let at = self.header.word_offsets_offset as usize + row * 8;
        u64::from_le_bytes(self.map[at..at + 8].try_into().expect("8 bytes"))
    }

    fn slots(&self) -> &[u32] {
        let start = self.header.index_offset as usize;
        let bytes = &self.map[start..start + self.header.index_slots as usize * 4];
        // SAFETY: 64-byte aligned offset into a page-aligned map, bounds checked by the header.
        unsafe { std::slice::from_raw_parts(bytes.as_ptr().cast(), self.header.index_slots as usize) }
    }
}

impl fmt::Debug for MappedVocab {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MappedVocab").field("len", &self.header.rows).finish()
    }
}

impl Vocabulary for MappedVocab {
    fn len(&self) -> usize {
        self.header.rows as usize
    }

    fn word(&self, row: usize) -> &str {
        assert!(row < self.len(), "row {row} out of range for {} words", self.len());
        let (start, end) = (self.offset(row), self.offset(row + 1));
        let base = self.header.words_offset;
        let bytes = &self.map[(base + start) as usize..(base + end) as usize];
        // SAFETY: `new` checked that the section is UTF-8 and every offset is a char boundary.
        unsafe { std::str::from_utf8_unchecked(bytes) }
    }

    fn row(&self, word: &str) -> Option<usize> {
        let slots = self.slots();
        let mask = slots.len() - 1;
        let mut slot = hash(word.as_bytes()) as usize & mask;
        // The table is at most half full, so an empty slot ends every probe; the bound only
        // guards against a corrupt file.
        for _ in 0..slots.len() {
            match slots[slot] {
                0 => return None,
                entry => {
                    let row = entry as usize - 1;
                    if self.word(row) == word {
                        return Some(row);
                    }
                }
            }
            slot = (slot + 1) & mask;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Space {
        Space::from_rows(
            ["the", "king", "'s", "café", "new york"].map(String::from).to_vec(),
            (0..15).map(|i| i as f32 * 0.5 - 3.0).collect(),
            3,
        )
        .unwrap()
        .with_metadata("source", "unit test")
    }

    /// [`sample`] with a table of 5 n-gram buckets.
    fn sample_with_subwords() -> Space {
        let table: Vec<f32> = (0..15).map(|i| i as f32 * 0.25 - 1.0).collect();
        sample().with_subwords(Subwords::new(2, 4, 5, 3, Box::new(table)).unwrap()).unwrap()
    }

    #[test]
    fn subwords_survive_the_round_trip_in_version_2_and_plain_spaces_stay_version_1() {
        let dir = tempfile::tempdir().unwrap();
        let (plain, with) = (dir.path().join("plain.vsp"), dir.path().join("subwords.vsp"));
        write(&sample(), &plain).unwrap();
        let space = sample_with_subwords();
        write(&space, &with).unwrap();
        let version = |path: &Path| u32::from_le_bytes(std::fs::read(path).unwrap()[8..12].try_into().unwrap());
        assert_eq!((version(&plain), version(&with)), (1, 2));
        assert!(open(&plain).unwrap().subwords().is_none());
        let opened = open(&with).unwrap();
        let (theirs, ours) = (space.subwords().unwrap(), opened.subwords().unwrap());
        assert_eq!((ours.minn(), ours.maxn(), ours.buckets(), ours.dims()), (2, 4, 5, 3));
        assert_eq!(ours.values(), theirs.values());
        assert_eq!(ours.vector("kingdom"), theirs.vector("kingdom"));
        assert!(ours.vector("kingdom").is_some());
        assert_eq!(opened.matrix().data(), space.matrix().data());
        assert_eq!(opened.metadata(), space.metadata());
        verify(&with).unwrap();
    }

    #[test]
    fn the_checksum_finds_damage_that_opening_cannot() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.vsp");
        write(&sample(), &path).unwrap();
        let good = std::fs::read(&path).unwrap();
        let checked = verify(&path).unwrap();
        assert_eq!((checked.format, checked.bytes), ("native", good.len() as u64 - HEADER_LEN as u64));
        // One bit of one value: the file still opens, with a wrong number in it.
        let mut damaged = good.clone();
        damaged[HEADER_LEN + 5] ^= 0x10;
        std::fs::write(&path, &damaged).unwrap();
        assert!(open(&path).is_ok());
        let err = verify(&path).unwrap_err();
        assert!(matches!(err, Error::ChecksumMismatch { .. }), "{err}");
        assert!(err.to_string().contains("the file is damaged"), "{err}");
        // A file from before checksums (zero where the checksum goes) is checked for structure only.
        let mut old = good.clone();
        old[CHECKSUM_AT..CHECKSUM_AT + 12].fill(0);
        std::fs::write(&path, &old).unwrap();
        assert_eq!(verify(&path).unwrap().checksum, None);
    }

    #[test]
    fn a_file_truncated_under_the_map_is_noticed_before_it_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.vsp");
        write(&sample(), &path).unwrap();
        let space = open(&path).unwrap();
        space.check_intact().unwrap();
        let len = std::fs::metadata(&path).unwrap().len();
        std::fs::File::options().write(true).open(&path).unwrap().set_len(len / 2).unwrap();
        let err = space.check_intact().unwrap_err().to_string();
        assert!(err.contains(&format!("mapped {len} bytes, now {}", len / 2)), "{err}");
    }

    #[test]
    fn write_then_open_gives_the_same_space() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.vsp");
        let space = sample();
        write(&space, &path).unwrap();
        let opened = open(&path).unwrap();
        assert_eq!(opened.len(), 5);
        assert_eq!(opened.dims(), 3);
        assert_eq!(opened.matrix().data(), space.matrix().data());
        assert_eq!(opened.matrix().norms(), space.matrix().norms());
        for row in 0..5 {
            assert_eq!(opened.word(row), space.word(row));
            assert_eq!(opened.vocab().row(space.word(row)), Some(row));
        }
        assert_eq!(opened.vocab().row("queen"), None);
        assert_eq!(opened.metadata(), [("source".to_string(), "unit test".to_string())]);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "no temporary file left behind");
    }

    #[test]
    fn every_truncation_is_an_error_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.vsp");
        for space in [sample(), sample_with_subwords()] {
            write(&space, &path).unwrap();
            let bytes = std::fs::read(&path).unwrap();
            let cut = dir.path().join("cut.vsp");
            for len in (0..bytes.len()).step_by(7) {
                std::fs::write(&cut, &bytes[..len]).unwrap();
                assert!(open(&cut).is_err(), "a file cut to {len} bytes opened");
            }
        }
    }

    #[test]
    fn corrupted_bytes_are_caught_or_harmless() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.vsp");
        for space in [sample(), sample_with_subwords()] {
            write(&space, &path).unwrap();
            let bytes = std::fs::read(&path).unwrap();
            let bad = dir.path().join("bad.vsp");
            for at in 0..bytes.len() {
                let mut copy = bytes.clone();
                copy[at] ^= 0xA5;
                std::fs::write(&bad, &copy).unwrap();
                // Either a clean error, or a space whose every word can be read and looked up,
                // and whose subword table gives a vector or none.
                if let Ok(space) = open(&bad) {
                    for row in 0..space.len() {
                        let word = space.word(row).to_owned();
                        let _ = space.vocab().row(&word);
                    }
                    let _ = space.subwords().map(|table| table.vector("kingdom"));
                }
            }
        }
    }
}

//! GGUF files (llama.cpp's model format, versions 2 and 3): metadata and tensors, read from a
//! memory map, every count and offset checked against the file before it is used; and a writer for
//! the small F32-only files that control vectors are.
//!
//! Layout: magic `GGUF`, version, tensor count, metadata count (u64 each after the version), the
//! metadata as (key, type, value), the tensor descriptions as (name, dims, type, offset), padding to
//! `general.alignment` (default 32), then the tensor data; offsets count from the data's start.
//! Dimensions are listed innermost first: a `[576, 49152]` tensor is 49152 rows of 576.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use memmap2::Mmap;

use crate::quant::GgmlType;

const MAGIC: &[u8; 4] = b"GGUF";
const DEFAULT_ALIGNMENT: u64 = 32;
/// Far above any real file (llama.cpp's largest have a few thousand of each); a bound so a
/// corrupt count fails fast instead of looping.
const MOST_ENTRIES: u64 = 1 << 20;

/// Everything that can go wrong with a GGUF file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GgufError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path}: {message} (at byte {offset})")]
    Malformed { path: PathBuf, offset: u64, message: String },
    #[error("{path}: {message}")]
    Invalid { path: PathBuf, message: String },
}

/// A metadata value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    U8(u8),
    I8(i8),
    U16(u16),
    I16(i16),
    U32(u32),
    I32(i32),
    U64(u64),
    I64(i64),
    F32(f32),
    F64(f64),
    Bool(bool),
    String(String),
    Array(Array),
}

/// A metadata array, stored by element type: a 20 MB array of bytes takes 20 MB, not the 32
/// bytes a [`Value`] would take per element.
#[derive(Debug, Clone, PartialEq)]
pub enum Array {
    U8(Vec<u8>),
    I8(Vec<i8>),
    U16(Vec<u16>),
    I16(Vec<i16>),
    U32(Vec<u32>),
    I32(Vec<i32>),
    U64(Vec<u64>),
    I64(Vec<i64>),
    F32(Vec<f32>),
    F64(Vec<f64>),
    Bool(Vec<bool>),
    String(Strings),
}

/// Strings back to back in one buffer, with where each ends.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Strings {
    text: String,
    ends: Vec<usize>,
}

impl Strings {
    pub fn push(&mut self, s: &str) {
        self.text.push_str(s);
        self.ends.push(self.text.len());
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    pub fn iter(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        (0..self.ends.len()).map(|i| {
            let start = if i == 0 { 0 } else { self.ends[i - 1] };
            &self.text[start..self.ends[i]]
        })
    }
}

impl<'a> FromIterator<&'a str> for Strings {
    fn from_iter<I: IntoIterator<Item = &'a str>>(iter: I) -> Strings {
        let mut strings = Strings::default();
        iter.into_iter().for_each(|s| strings.push(s));
        strings
    }
}

impl Array {
    pub fn len(&self) -> usize {
        match self {
            Array::U8(v) => v.len(),
            Array::I8(v) => v.len(),
            Array::U16(v) => v.len(),
            Array::I16(v) => v.len(),
            Array::U32(v) => v.len(),
            Array::I32(v) => v.len(),
            Array::U64(v) => v.len(),
            Array::I64(v) => v.len(),
            Array::F32(v) => v.len(),
            Array::F64(v) => v.len(),
            Array::Bool(v) => v.len(),
            Array::String(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The elements as unsigned integers, if they are integers and none is negative.
    pub fn to_u64s(&self) -> Option<Vec<u64>> {
        fn all<T: Copy>(v: &[T], f: impl Fn(T) -> Option<u64>) -> Option<Vec<u64>> {
            v.iter().map(|&x| f(x)).collect()
        }
        match self {
            Array::U8(v) => all(v, |x| Some(x.into())),
            Array::U16(v) => all(v, |x| Some(x.into())),
            Array::U32(v) => all(v, |x| Some(x.into())),
            Array::U64(v) => Some(v.clone()),
            Array::I8(v) => all(v, |x| u64::try_from(x).ok()),
            Array::I16(v) => all(v, |x| u64::try_from(x).ok()),
            Array::I32(v) => all(v, |x| u64::try_from(x).ok()),
            Array::I64(v) => all(v, |x| u64::try_from(x).ok()),
            _ => None,
        }
    }

    /// The elements as f32, if they are floats (token scores).
    pub fn to_f32s(&self) -> Option<Vec<f32>> {
        match self {
            Array::F32(v) => Some(v.clone()),
            Array::F64(v) => Some(v.iter().map(|&x| x as f32).collect()),
            _ => None,
        }
    }

    pub fn as_strings(&self) -> Option<&Strings> {
        match self {
            Array::String(strings) => Some(strings),
            _ => None,
        }
    }

    /// The GGUF type id of the elements.
    fn element_type(&self) -> u32 {
        match self {
            Array::U8(_) => 0,
            Array::I8(_) => 1,
            Array::U16(_) => 2,
            Array::I16(_) => 3,
            Array::U32(_) => 4,
            Array::I32(_) => 5,
            Array::F32(_) => 6,
            Array::Bool(_) => 7,
            Array::String(_) => 8,
            Array::U64(_) => 10,
            Array::I64(_) => 11,
            Array::F64(_) => 12,
        }
    }
}

impl Value {
    /// The value as an unsigned integer, if it is a non-negative integer of any width.
    pub fn as_u64(&self) -> Option<u64> {
        match *self {
            Value::U8(v) => Some(v.into()),
            Value::U16(v) => Some(v.into()),
            Value::U32(v) => Some(v.into()),
            Value::U64(v) => Some(v),
            Value::I8(v) => u64::try_from(v).ok(),
            Value::I16(v) => u64::try_from(v).ok(),
            Value::I32(v) => u64::try_from(v).ok(),
            Value::I64(v) => u64::try_from(v).ok(),
            _ => None,
        }
    }

    pub fn as_f64(&self) -> Option<f64> {
        match *self {
            Value::F32(v) => Some(v.into()),
            Value::F64(v) => Some(v),
            _ => self.as_u64().map(|v| v as f64),
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&Array> {
        match self {
            Value::Array(values) => Some(values),
            _ => None,
        }
    }
}

/// Where a tensor's bytes are, and what they hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TensorInfo {
    pub name: String,
    /// Innermost first, as in the file.
    pub dims: Vec<u64>,
    pub kind: GgmlType,
    /// From the start of the file.
    pub start: u64,
    pub len: u64,
}

impl TensorInfo {
    /// Values per row (the innermost dimension) and rows (the product of the others).
    pub fn rows_and_columns(&self) -> (usize, usize) {
        let columns = self.dims.first().copied().unwrap_or(1) as usize;
        let rows = self.dims.iter().skip(1).product::<u64>() as usize;
        (rows, columns)
    }
}

/// An open GGUF file.
#[derive(Debug)]
pub struct Gguf {
    pub path: PathBuf,
    pub version: u32,
    pub metadata: BTreeMap<String, Value>,
    pub tensors: Vec<TensorInfo>,
    map: Mmap,
}

struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
    path: &'a Path,
}

impl<'a> Cursor<'a> {
    fn fail<T>(&self, message: impl Into<String>) -> Result<T, GgufError> {
        Err(GgufError::Malformed { path: self.path.to_owned(), offset: self.at as u64, message: message.into() })
    }

    fn take(&mut self, n: u64, what: &str) -> Result<&'a [u8], GgufError> {
        let left = (self.bytes.len() - self.at) as u64;
        if n > left {
            return self.fail(format!("{what} needs {n} bytes but only {left} remain; the file is truncated"));
        }
        let slice = &self.bytes[self.at..self.at + n as usize];
        self.at += n as usize;
        Ok(slice)
    }

    fn array<const N: usize>(&mut self, what: &str) -> Result<[u8; N], GgufError> {
        Ok(self.take(N as u64, what)?.try_into().expect("N bytes"))
    }

    fn u32(&mut self, what: &str) -> Result<u32, GgufError> {
        Ok(u32::from_le_bytes(self.array(what)?))
    }

    fn u64(&mut self, what: &str) -> Result<u64, GgufError> {
        Ok(u64::from_le_bytes(self.array(what)?))
    }

    fn string(&mut self, what: &str) -> Result<String, GgufError> {
        let len = self.u64(what)?;
        let bytes = self.take(len, what)?;
        match std::str::from_utf8(bytes) {
            Ok(s) => Ok(s.to_owned()),
            Err(_) => self.fail(format!("{what} is not valid UTF-8")),
        }
    }

    fn value(&mut self, kind: u32, depth: u32) -> Result<Value, GgufError> {
        Ok(match kind {
            0 => Value::U8(self.array::<1>("a u8")?[0]),
            1 => Value::I8(self.array::<1>("an i8")?[0] as i8),
            2 => Value::U16(u16::from_le_bytes(self.array("a u16")?)),
            3 => Value::I16(i16::from_le_bytes(self.array("an i16")?)),
            4 => Value::U32(self.u32("a u32")?),
            5 => Value::I32(i32::from_le_bytes(self.array("an i32")?)),
            6 => Value::F32(f32::from_le_bytes(self.array("an f32")?)),
            7 => match self.array::<1>("a bool")?[0] {
                0 => Value::Bool(false),
                1 => Value::Bool(true),
                other => return self.fail(format!("a bool holds {other}")),
            },
            8 => Value::String(self.string("a string")?),
            9 => {
                if depth > 0 {
                    return self.fail("arrays of arrays are not supported");
                }
                let element = self.u32("an array's element type")?;
                let count = self.u64("an array's length")?;
                // Every element takes at least one byte: a count beyond what is left is corrupt.
                if count > (self.bytes.len() - self.at) as u64 {
                    return self.fail(format!("an array claims {count} elements, more than the rest of the file holds; it is truncated or corrupt"));
                }
                Value::Array(self.elements(element, count as usize)?)
            }
            10 => Value::U64(self.u64("a u64")?),
            11 => Value::I64(i64::from_le_bytes(self.array("an i64")?)),
            12 => Value::F64(f64::from_le_bytes(self.array("an f64")?)),
            other => return self.fail(format!("unknown metadata type {other}")),
        })
    }
}

impl Cursor<'_> {
    /// `count` elements of type `element`, read straight into their typed vector.
    fn elements(&mut self, element: u32, count: usize) -> Result<Array, GgufError> {
        macro_rules! numbers {
            ($variant:ident, $t:ty) => {{
                let width = std::mem::size_of::<$t>();
                let bytes = self.take((count * width) as u64, "an array's elements")?;
                Array::$variant(
                    bytes.chunks_exact(width).map(|b| <$t>::from_le_bytes(b.try_into().expect("width"))).collect(),
                )
            }};
        }
        Ok(match element {
            0 => numbers!(U8, u8),
            1 => numbers!(I8, i8),
            2 => numbers!(U16, u16),
            3 => numbers!(I16, i16),
            4 => numbers!(U32, u32),
            5 => numbers!(I32, i32),
            6 => numbers!(F32, f32),
            7 => {
                let bytes = self.take(count as u64, "an array's elements")?;
                match bytes.iter().find(|&&b| b > 1) {
                    Some(other) => return self.fail(format!("a bool holds {other}")),
                    None => Array::Bool(bytes.iter().map(|&b| b == 1).collect()),
                }
            }
            8 => {
                let mut strings = Strings::default();
                for _ in 0..count {
                    let len = self.u64("a string's length")?;
                    let bytes = self.take(len, "a string")?;
                    match std::str::from_utf8(bytes) {
                        Ok(s) => strings.push(s),
                        Err(_) => return self.fail("a string is not valid UTF-8".to_owned()),
                    }
                }
                Array::String(strings)
            }
            9 => return self.fail("arrays of arrays are not supported"),
            10 => numbers!(U64, u64),
            11 => numbers!(I64, i64),
            12 => numbers!(F64, f64),
            other => return self.fail(format!("unknown metadata type {other}")),
        })
    }
}

impl Gguf {
    /// Opens and checks a GGUF file: its header, metadata and every tensor's place and size.
    pub fn open(path: &Path) -> Result<Gguf, GgufError> {
        let io = |source| GgufError::Io { path: path.to_owned(), source };
        let file = vecspace_core::io::open_regular(path).map_err(io)?;
        // SAFETY: the map is read-only and private to this process; the file is not expected to
        // change while open (a model in the cache), and every access is bounds-checked.
        let map = unsafe { Mmap::map(&file) }.map_err(io)?;
        let mut cursor = Cursor { bytes: &map, at: 0, path };
        if cursor.take(4, "the magic")? != MAGIC {
            return cursor.fail("not a GGUF file (the magic is not GGUF)");
        }
        let version = cursor.u32("the version")?;
        if !(2..=3).contains(&version) {
            return cursor.fail(format!("GGUF version {version} is not supported (2 and 3 are)"));
        }
        let tensor_count = cursor.u64("the tensor count")?;
        let metadata_count = cursor.u64("the metadata count")?;
        if tensor_count > MOST_ENTRIES || metadata_count > MOST_ENTRIES {
            return cursor
                .fail(format!("implausible counts: {tensor_count} tensors, {metadata_count} metadata entries"));
        }
        let mut metadata = BTreeMap::new();
        for _ in 0..metadata_count {
            let key = cursor.string("a metadata key")?;
            let kind = cursor.u32("a metadata type")?;
            let value = cursor.value(kind, 0)?;
            metadata.insert(key, value);
        }
        let mut described = Vec::with_capacity(tensor_count as usize);
        for _ in 0..tensor_count {
            let name = cursor.string("a tensor name")?;
            let rank = cursor.u32("a tensor's rank")?;
            if rank == 0 || rank > 4 {
                return cursor.fail(format!("tensor {name:?} has {rank} dimensions (1 to 4 are possible)"));
            }
            let dims = (0..rank).map(|_| cursor.u64("a tensor dimension")).collect::<Result<Vec<_>, _>>()?;
            let kind_id = cursor.u32("a tensor type")?;
            let Some(kind) = GgmlType::from_id(kind_id) else {
                let known = GgmlType::name_of_id(kind_id).map(|n| format!(" ({n})")).unwrap_or_default();
                return cursor.fail(format!(
                    "tensor {name:?} has type {kind_id}{known}, which vecspace does not read; it reads {}",
                    GgmlType::supported_names()
                ));
            };
            let offset = cursor.u64("a tensor offset")?;
            described.push((name, dims, kind, offset));
        }
        let alignment = match metadata.get("general.alignment") {
            None => DEFAULT_ALIGNMENT,
            Some(v) => match v.as_u64() {
                Some(a) if a.is_power_of_two() => a,
                _ => return cursor.fail(format!("general.alignment {v:?} is not a power of two")),
            },
        };
        let data_start = (cursor.at as u64).div_ceil(alignment) * alignment;
        let file_len = map.len() as u64;
        let mut tensors = Vec::with_capacity(described.len());
        for (name, dims, kind, offset) in described {
            let invalid = |message: String| GgufError::Invalid { path: path.to_owned(), message };
            let count = dims.iter().try_fold(1u64, |n, &d| n.checked_mul(d));
            let len = count.and_then(|n| kind.bytes_for(n));
            let Some(len) = len else {
                return Err(invalid(format!("tensor {name:?} of shape {dims:?} cannot be stored as {kind:?}")));
            };
            if !offset.is_multiple_of(alignment) {
                return Err(invalid(format!(
                    "tensor {name:?} starts at offset {offset}, not a multiple of {alignment}"
                )));
            }
            let start = data_start.saturating_add(offset);
            if start.checked_add(len).is_none_or(|end| end > file_len) {
                return Err(invalid(format!(
                    "tensor {name:?} ({len} bytes at offset {offset}) lies beyond the end of the file ({file_len} bytes); it is truncated"
                )));
            }
            tensors.push(TensorInfo { name, dims, kind, start, len });
        }
        Ok(Gguf { path: path.to_owned(), version, metadata, tensors, map })
    }

    pub fn tensor(&self, name: &str) -> Option<&TensorInfo> {
        self.tensors.iter().find(|t| t.name == name)
    }

    /// The bytes of a tensor described by this file.
    pub fn bytes(&self, tensor: &TensorInfo) -> &[u8] {
        &self.map[tensor.start as usize..(tensor.start + tensor.len) as usize]
    }

    /// A metadata value, or an error naming the missing key.
    pub fn get(&self, key: &str) -> Result<&Value, GgufError> {
        self.metadata
            .get(key)
            .ok_or_else(|| GgufError::Invalid { path: self.path.clone(), message: format!("no metadata {key:?}") })
    }

    pub fn get_u64(&self, key: &str) -> Result<u64, GgufError> {
        let value = self.get(key)?;
        value.as_u64().ok_or_else(|| self.invalid(format!("{key} is {value:?}, not a whole number")))
    }

    pub fn get_f64(&self, key: &str) -> Result<f64, GgufError> {
        let value = self.get(key)?;
        value.as_f64().ok_or_else(|| self.invalid(format!("{key} is {value:?}, not a number")))
    }

    pub fn get_str(&self, key: &str) -> Result<&str, GgufError> {
        let value = self.get(key)?;
        value.as_str().ok_or_else(|| self.invalid(format!("{key} is not a string")))
    }

    pub fn invalid(&self, message: String) -> GgufError {
        GgufError::Invalid { path: self.path.clone(), message }
    }
}

/// Writes a GGUF v3 file of F32 tensors (atomically: a temporary file renamed into place).
/// `tensors` are (name, values); each is stored as a 1-D tensor.
pub fn write_f32(path: &Path, metadata: &[(&str, Value)], tensors: &[(String, Vec<f32>)]) -> Result<(), GgufError> {
    let mut header = Vec::new();
    header.extend_from_slice(MAGIC);
    header.extend_from_slice(&3u32.to_le_bytes());
    header.extend_from_slice(&(tensors.len() as u64).to_le_bytes());
    header.extend_from_slice(&(metadata.len() as u64).to_le_bytes());
    let string = |out: &mut Vec<u8>, s: &str| {
        out.extend_from_slice(&(s.len() as u64).to_le_bytes());
        out.extend_from_slice(s.as_bytes());
    };
    for (key, value) in metadata {
        string(&mut header, key);
        write_value(&mut header, value);
    }
    let mut offset = 0u64;
    for (name, values) in tensors {
        string(&mut header, name);
        header.extend_from_slice(&1u32.to_le_bytes());
        header.extend_from_slice(&(values.len() as u64).to_le_bytes());
        header.extend_from_slice(&(GgmlType::F32.id()).to_le_bytes());
        header.extend_from_slice(&offset.to_le_bytes());
        offset = (offset + 4 * values.len() as u64).div_ceil(DEFAULT_ALIGNMENT) * DEFAULT_ALIGNMENT;
    }
    header.resize(header.len().div_ceil(DEFAULT_ALIGNMENT as usize) * DEFAULT_ALIGNMENT as usize, 0);
    let io = |source| GgufError::Io { path: path.to_owned(), source };
    vecspace_core::io::write_atomically(path, io, |out| {
        out.write_all(&header).map_err(io)?;
        for (_, values) in tensors {
            let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
            out.write_all(&bytes).map_err(io)?;
            let padding = bytes.len().div_ceil(DEFAULT_ALIGNMENT as usize) * DEFAULT_ALIGNMENT as usize - bytes.len();
            out.write_all(&vec![0; padding]).map_err(io)?;
        }
        Ok(())
    })
}

fn write_value(out: &mut Vec<u8>, value: &Value) {
    let (kind, bytes): (u32, Vec<u8>) = match value {
        Value::U8(v) => (0, vec![*v]),
        Value::I8(v) => (1, v.to_le_bytes().to_vec()),
        Value::U16(v) => (2, v.to_le_bytes().to_vec()),
        Value::I16(v) => (3, v.to_le_bytes().to_vec()),
        Value::U32(v) => (4, v.to_le_bytes().to_vec()),
        Value::I32(v) => (5, v.to_le_bytes().to_vec()),
        Value::F32(v) => (6, v.to_le_bytes().to_vec()),
        Value::Bool(v) => (7, vec![u8::from(*v)]),
        Value::String(s) => {
            let mut bytes = (s.len() as u64).to_le_bytes().to_vec();
            bytes.extend_from_slice(s.as_bytes());
            (8, bytes)
        }
        Value::Array(values) => {
            let mut bytes = Vec::new();
            bytes.extend_from_slice(&values.element_type().to_le_bytes());
            bytes.extend_from_slice(&(values.len() as u64).to_le_bytes());
            macro_rules! each {
                ($v:expr) => {
                    $v.iter().for_each(|x| bytes.extend_from_slice(&x.to_le_bytes()))
                };
            }
            match values {
                Array::U8(v) => each!(v),
                Array::I8(v) => each!(v),
                Array::U16(v) => each!(v),
                Array::I16(v) => each!(v),
                Array::U32(v) => each!(v),
                Array::I32(v) => each!(v),
                Array::U64(v) => each!(v),
                Array::I64(v) => each!(v),
                Array::F32(v) => each!(v),
                Array::F64(v) => each!(v),
                Array::Bool(v) => v.iter().for_each(|&b| bytes.push(u8::from(b))),
                Array::String(strings) => {
                    for s in strings.iter() {
                        bytes.extend_from_slice(&(s.len() as u64).to_le_bytes());
                        bytes.extend_from_slice(s.as_bytes());
                    }
                }
            }
            (9, bytes)
        }
        Value::U64(v) => (10, v.to_le_bytes().to_vec()),
        Value::I64(v) => (11, v.to_le_bytes().to_vec()),
        Value::F64(v) => (12, v.to_le_bytes().to_vec()),
    };
    out.extend_from_slice(&kind.to_le_bytes());
    out.extend_from_slice(&bytes);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_files_read_back_and_damage_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v.gguf");
        let metadata = [
            ("general.architecture", Value::String("controlvector".into())),
            ("controlvector.layer_count", Value::I32(2)),
            ("some.list", Value::Array(Array::U32(vec![1, 2]))),
            ("some.words", Value::Array(Array::String(["a", "", "bé c"].into_iter().collect()))),
            ("some.flags", Value::Array(Array::Bool(vec![true, false]))),
        ];
        let tensors = vec![("direction.1".to_owned(), vec![1.0, -2.0, 3.5]), ("direction.2".to_owned(), vec![0.25; 3])];
        write_f32(&path, &metadata, &tensors).unwrap();
        let file = Gguf::open(&path).unwrap();
        assert_eq!(file.get_str("general.architecture").unwrap(), "controlvector");
        assert_eq!(file.get_u64("controlvector.layer_count").unwrap(), 2);
        assert_eq!(file.get("some.list").unwrap().as_array().unwrap().to_u64s(), Some(vec![1, 2]));
        let words = file.get("some.words").unwrap().as_array().unwrap().as_strings().unwrap();
        assert_eq!(words.iter().collect::<Vec<_>>(), ["a", "", "bé c"]);
        assert_eq!(file.get("some.flags").unwrap(), &Value::Array(Array::Bool(vec![true, false])));
        let t = file.tensor("direction.1").unwrap();
        assert_eq!((t.dims.clone(), t.kind), (vec![3], GgmlType::F32));
        let values: Vec<f32> =
            file.bytes(t).chunks_exact(4).map(|b| f32::from_le_bytes(b.try_into().unwrap())).collect();
        assert_eq!(values, vec![1.0, -2.0, 3.5]);
        assert!(file.get("missing").unwrap_err().to_string().contains("no metadata \"missing\""));

        // Every truncation is an error naming the file, never a panic.
        let bytes = std::fs::read(&path).unwrap();
        // (The last tensor's trailing padding may be missing: llama.cpp needs only the data.)
        for cut in [0, 3, 10, 30, 60, 150, 260, 290, 299] {
            std::fs::write(&path, &bytes[..cut]).unwrap();
            let err = Gguf::open(&path).unwrap_err().to_string();
            assert!(err.contains("v.gguf"), "cut at {cut}: {err}");
        }
        let mut wrong = bytes.clone();
        wrong[0] = b'X';
        std::fs::write(&path, &wrong).unwrap();
        assert!(Gguf::open(&path).unwrap_err().to_string().contains("not a GGUF file"));
        // A huge array length is refused before anything is allocated.
        let mut huge = bytes.clone();
        let at = huge.windows(9).position(|w| w == b"some.list").unwrap() + 9 + 8;
        huge[at..at + 8].copy_from_slice(&u64::MAX.to_le_bytes());
        std::fs::write(&path, &huge).unwrap();
        assert!(Gguf::open(&path).unwrap_err().to_string().contains("claims"));
    }
}

//! Reading tensors from a safetensors file: an 8-byte header length, a JSON header naming each
//! tensor's dtype, shape and byte range, then the raw little-endian data. Every size comes from
//! the file, so each is checked against the file before it is used.

use std::collections::HashMap;
use std::ops::Range;
use std::path::Path;

use crate::{Error, Result};

/// Largest JSON header read (real ones are a few kilobytes per hundred tensors).
const MOST_HEADER_BYTES: u64 = 100 << 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DType {
    F32,
    F16,
    BF16,
    /// Any other dtype: listed, refused if asked for.
    Other,
}

#[derive(Debug, Clone)]
struct Entry {
    dtype: DType,
    shape: Vec<usize>,
    bytes: Range<usize>,
}

/// The tensors of a safetensors file, read on demand as `f32`.
pub struct Tensors<'a> {
    path: &'a Path,
    data: &'a [u8],
    entries: HashMap<String, Entry>,
}

impl<'a> Tensors<'a> {
    /// Parses the header of `bytes`, the whole file at `path`.
    pub fn parse(path: &'a Path, bytes: &'a [u8]) -> Result<Tensors<'a>> {
        let bad = |message: String| Error::Model { path: path.to_owned(), message };
        let Some(length) = bytes.get(..8).map(|b| u64::from_le_bytes(b.try_into().expect("8 bytes"))) else {
            return Err(bad("shorter than a safetensors header".into()));
        };
        if length > MOST_HEADER_BYTES || length > (bytes.len() - 8) as u64 {
            return Err(bad(format!("the header claims {length} bytes; the file has {}", bytes.len())));
        }
        let header: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(&bytes[8..8 + length as usize])
            .map_err(|e| bad(format!("the header is not a JSON object: {e}")))?;
        let data = &bytes[8 + length as usize..];
        let mut entries = HashMap::new();
        for (name, info) in header {
            if name == "__metadata__" {
                continue;
            }
            let dtype = match info["dtype"].as_str() {
                Some("F32") => DType::F32,
                Some("F16") => DType::F16,
                Some("BF16") => DType::BF16,
                _ => DType::Other,
            };
            let shape: Option<Vec<usize>> =
                info["shape"].as_array().and_then(|dims| dims.iter().map(|d| d.as_u64().map(|d| d as usize)).collect());
            let offsets: Option<Vec<usize>> = info["data_offsets"]
                .as_array()
                .and_then(|o| o.iter().map(|x| x.as_u64().map(|x| x as usize)).collect());
            let (Some(shape), Some([start, end])) =
                (shape, offsets.as_deref().and_then(|o| <[usize; 2]>::try_from(o).ok()))
            else {
                return Err(bad(format!("tensor {name:?} has no shape or data offsets")));
            };
            if start > end || end > data.len() {
                return Err(bad(format!(
                    "tensor {name:?} lies at bytes {start}..{end} of {} bytes of data",
                    data.len()
                )));
            }
            let width = match dtype {
                DType::F32 => 4,
                DType::F16 | DType::BF16 => 2,
                DType::Other => 0,
            };
            let count = shape.iter().try_fold(1usize, |n, &d| n.checked_mul(d));
            if width > 0 && count.and_then(|c| c.checked_mul(width)) != Some(end - start) {
                return Err(bad(format!("tensor {name:?} of shape {shape:?} does not fill its {} bytes", end - start)));
            }
            entries.insert(name, Entry { dtype, shape, bytes: start..end });
        }
        Ok(Tensors { path, data, entries })
    }

    pub fn contains(&self, name: &str) -> bool {
        self.entries.contains_key(name)
    }

    /// The tensor `name` as `f32` values, which must have `shape`.
    pub fn take(&self, name: &str, shape: &[usize]) -> Result<Vec<f32>> {
        let bad = |message: String| Error::Model { path: self.path.to_owned(), message };
        let entry = self.entries.get(name).ok_or_else(|| bad(format!("the weights have no tensor {name}")))?;
        if entry.shape != shape {
            return Err(bad(format!("{name} has shape {:?}; the configuration says {shape:?}", entry.shape)));
        }
        let bytes = &self.data[entry.bytes.clone()];
        let values: Vec<f32> = match entry.dtype {
            DType::F32 => bytes.chunks_exact(4).map(|b| f32::from_le_bytes(b.try_into().expect("4 bytes"))).collect(),
            DType::F16 => bytes.chunks_exact(2).map(|b| half::f16::from_le_bytes([b[0], b[1]]).to_f32()).collect(),
            DType::BF16 => bytes.chunks_exact(2).map(|b| half::bf16::from_le_bytes([b[0], b[1]]).to_f32()).collect(),
            DType::Other => return Err(bad(format!("{name} is not stored as F32, F16 or BF16"))),
        };
        if values.iter().any(|x| !x.is_finite()) {
            return Err(bad(format!("{name} holds NaN or infinite values")));
        }
        Ok(values)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(header: &str, data: &[u8]) -> Vec<u8> {
        let mut out = (header.len() as u64).to_le_bytes().to_vec();
        out.extend(header.as_bytes());
        out.extend(data);
        out
    }

    #[test]
    fn tensors_are_read_and_damage_is_refused() {
        let path = Path::new("w.safetensors");
        let data: Vec<u8> = [1.0f32, 2.0, 3.0, 4.0].iter().flat_map(|x| x.to_le_bytes()).collect();
        let good = file(r#"{"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},"__metadata__":{}}"#, &data);
        let tensors = Tensors::parse(path, &good).unwrap();
        assert_eq!(tensors.take("w", &[2, 2]).unwrap(), [1.0, 2.0, 3.0, 4.0]);
        assert!(tensors.take("w", &[4]).unwrap_err().to_string().contains("shape [2, 2]"));
        assert!(tensors.take("v", &[4]).is_err());
        let past = file(r#"{"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,32]}}"#, &data);
        assert!(Tensors::parse(path, &past).is_err());
        let short = file(r#"{"w":{"dtype":"F32","shape":[3,2],"data_offsets":[0,16]}}"#, &data);
        assert!(Tensors::parse(path, &short).is_err());
        let mut huge = good.clone();
        huge[..8].copy_from_slice(&u64::MAX.to_le_bytes());
        assert!(Tensors::parse(path, &huge).is_err());
        assert!(Tensors::parse(path, &good[..5]).is_err());
        let nan: Vec<u8> = [f32::NAN, 0.0].iter().flat_map(|x| x.to_le_bytes()).collect();
        let nan = file(r#"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, &nan);
        assert!(Tensors::parse(path, &nan).unwrap().take("w", &[2]).is_err());
    }
}

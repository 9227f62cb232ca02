//! Direction files: one safetensors file per direction, readable from Python
//! (`safetensors.numpy.load_file`), with its provenance in the safetensors metadata. The layout is
//! specified in `docs/FORMAT.md`.

use std::path::Path;

use serde_json::{Map, Value, json};
use vecspace_core::{Direction, DirectionInfo};

use crate::error::Location;
use crate::{Error, Result, write_atomically};

/// The tensor that holds the vector.
pub const TENSOR: &str = "direction";
/// The value of the metadata key `format` in every direction file vecspace writes.
pub const FORMAT: &str = "vecspace-direction/1";
/// Largest header accepted (safetensors itself caps it at 100 MB).
const MAX_HEADER: u64 = 100 << 20;

/// Writes `direction` to `path` atomically.
pub fn write(direction: &Direction, path: &Path) -> Result<()> {
    let info = &direction.info;
    let mut metadata = Map::new();
    let mut put = |key: &str, value: &str| {
        metadata.insert(key.to_owned(), Value::String(value.to_owned()));
    };
    put("format", FORMAT);
    put("space", &info.space);
    put("dims", &direction.dims().to_string());
    put("method", &info.method);
    put("examples", &info.examples);
    put("positive", &info.positive);
    put("created", &info.created);
    if let Some(accuracy) = info.accuracy {
        put("accuracy", &accuracy.to_string());
    }
    let bytes = direction.dims() * 4;
    let header = json!({
        "__metadata__": metadata,
        TENSOR: {"dtype": "F32", "shape": [direction.dims()], "data_offsets": [0, bytes]},
    });
    let mut header = serde_json::to_vec(&header).expect("JSON of strings and numbers");
    // safetensors pads the header with spaces so the data starts 8-byte aligned.
    while !header.len().is_multiple_of(8) {
        header.push(b' ');
    }
    write_atomically(path, |out| {
        let io = |e| Error::io(path, e);
        out.write_all(&(header.len() as u64).to_le_bytes()).map_err(io)?;
        out.write_all(&header).map_err(io)?;
        for value in &direction.vector {
            out.write_all(&value.to_le_bytes()).map_err(io)?;
        }
        Ok(())
    })
}

/// Reads a direction file: vecspace's, or any safetensors file holding a single 1-D F32/F64
/// tensor (named `direction`, or the only tensor).
pub fn read(path: &Path) -> Result<Direction> {
    let bytes = vecspace_core::io::read_regular(path, vecspace_core::io::READ_LIMIT).map_err(|e| Error::io(path, e))?;
    let bad = |message: String| Error::malformed(path, Location::Header, message);
    let Some(length) = bytes.get(..8).map(|b| u64::from_le_bytes(b.try_into().expect("8 bytes"))) else {
        return Err(bad("shorter than a safetensors header".into()));
    };
    if length > MAX_HEADER || length > (bytes.len() - 8) as u64 {
        return Err(Error::Truncated {
            path: path.to_owned(),
            what: "the safetensors header",
            declared: length,
            available: (bytes.len() - 8) as u64,
        });
    }
    let header: Value = serde_json::from_slice(&bytes[8..8 + length as usize])
        .map_err(|e| bad(format!("the safetensors header is not JSON: {e}")))?;
    let header = header.as_object().ok_or_else(|| bad("the safetensors header is not a JSON object".into()))?;
    let tensors: Vec<(&String, &Value)> = header.iter().filter(|(k, _)| *k != "__metadata__").collect();
    let (name, tensor) = match tensors.iter().find(|(k, _)| *k == TENSOR) {
        Some(found) => *found,
        None if tensors.len() == 1 => tensors[0],
        None => return Err(bad(format!("no tensor named {TENSOR:?} among {} tensors", tensors.len()))),
    };
    let dtype = tensor["dtype"].as_str().unwrap_or("");
    let size = match dtype {
        "F32" => 4,
        "F64" => 8,
        other => return Err(bad(format!("tensor {name:?} has dtype {other:?}; a direction is F32 or F64"))),
    };
    let shape: Vec<u64> =
        tensor["shape"].as_array().map(|s| s.iter().filter_map(Value::as_u64).collect()).unwrap_or_default();
    let dims = match shape[..] {
        [d] | [1, d] | [d, 1] => d,
        _ => return Err(bad(format!("tensor {name:?} has shape {shape:?}; a direction is one vector"))),
    };
    let offsets: Vec<u64> =
        tensor["data_offsets"].as_array().map(|s| s.iter().filter_map(Value::as_u64).collect()).unwrap_or_default();
    let data = &bytes[8 + length as usize..];
    let [start, end] = offsets[..] else { return Err(bad(format!("tensor {name:?} has no data_offsets"))) };
    // Checked: a crafted shape such as 2^62 + 1 would wrap the product to a small number.
    if end < start || end > data.len() as u64 || dims.checked_mul(size) != Some(end - start) {
        return Err(Error::Truncated {
            path: path.to_owned(),
            what: "the tensor's data_offsets",
            declared: end,
            available: data.len() as u64,
        });
    }
    let raw = &data[start as usize..end as usize];
    let vector: Vec<f32> = if size == 4 {
        raw.chunks_exact(4).map(|b| f32::from_le_bytes(b.try_into().expect("4 bytes"))).collect()
    } else {
        raw.chunks_exact(8).map(|b| f64::from_le_bytes(b.try_into().expect("8 bytes")) as f32).collect()
    };
    if vector.is_empty() || vector.iter().any(|x| !x.is_finite()) || vector.iter().all(|&x| x == 0.0) {
        return Err(bad("the direction is empty, zero, or holds NaN or infinite values".into()));
    }
    let length = vecspace_core::length(&vector);
    if length * length > vecspace_core::MAX_SQUARED_LENGTH {
        return Err(bad(format!(
            "the direction is {length:.3e} long; single-precision arithmetic needs it shorter than {:.1e}",
            vecspace_core::MAX_SQUARED_LENGTH.sqrt()
        )));
    }
    let meta = header.get("__metadata__").and_then(Value::as_object);
    let text = |key: &str| meta.and_then(|m| m.get(key)).and_then(Value::as_str).unwrap_or_default().to_owned();
    let info = DirectionInfo {
        space: text("space"),
        method: text("method"),
        examples: text("examples"),
        positive: text("positive"),
        created: text("created"),
        accuracy: text("accuracy").parse().ok(),
    };
    Ok(Direction { vector, info })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Direction {
        Direction {
            vector: vec![0.5, -1.25, 3.0],
            info: DirectionInfo {
                space: "glove-6b-50d".into(),
                method: "mean-diff".into(),
                examples: "he:she king:queen".into(),
                positive: "she (the right side of each pair)".into(),
                created: "2026-11-26T09:00:00Z".into(),
                accuracy: Some(0.95),
            },
        }
    }

    #[test]
    fn a_direction_round_trips_with_its_provenance() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("gender.safetensors");
        write(&sample(), &path).unwrap();
        assert_eq!(read(&path).unwrap(), sample());
        let bytes = std::fs::read(&path).unwrap();
        let header_len = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
        assert_eq!(header_len % 8, 0);
        assert_eq!(bytes.len(), 8 + header_len + 12);
    }

    #[test]
    fn damaged_files_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("d.safetensors");
        write(&sample(), &path).unwrap();
        let good = std::fs::read(&path).unwrap();
        for len in [0, 7, 8, 20, good.len() - 1] {
            std::fs::write(&path, &good[..len]).unwrap();
            assert!(read(&path).is_err(), "cut at {len}");
        }
        let mut nan = good.clone();
        let at = nan.len() - 4;
        nan[at..].copy_from_slice(&f32::NAN.to_le_bytes());
        std::fs::write(&path, &nan).unwrap();
        assert!(read(&path).unwrap_err().to_string().contains("NaN"));
        // A shape whose byte size wraps 64 bits (2^62 + 1 values × 8 bytes = 8 bytes, wrapped).
        let header = r#"{"direction":{"dtype":"F64","shape":[4611686018427387905],"data_offsets":[0,8]}}"#;
        let mut wrapped = (header.len() as u64).to_le_bytes().to_vec();
        wrapped.extend_from_slice(header.as_bytes());
        wrapped.extend_from_slice(&1.0f64.to_le_bytes());
        std::fs::write(&path, &wrapped).unwrap();
        assert!(read(&path).is_err(), "a wrapped shape was read");
        // Finite values whose length no single-precision sum can hold.
        let long = Direction { vector: vec![3e38, 3e38, 1.0], ..sample() };
        write(&long, &path).unwrap();
        assert!(read(&path).unwrap_err().to_string().contains("is 4.243e38 long"));
        let mut huge = good.clone();
        huge[..8].copy_from_slice(&u64::MAX.to_le_bytes());
        std::fs::write(&path, &huge).unwrap();
        assert!(read(&path).unwrap_err().to_string().contains("truncated"));
    }
}

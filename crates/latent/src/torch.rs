//! PyTorch checkpoints (`torch.save` files) read without Python: the zip format (PyTorch ≥ 1.6:
//! `archive/data.pkl` plus one file per storage) and the legacy stream format (a magic number,
//! three pickles, the storage keys, then every storage's length and bytes).

use std::collections::HashMap;
use std::io::{Read, Seek};
use std::path::Path;

use crate::Error;
use crate::pickle::{self, Value};

/// A tensor read from a checkpoint, converted to f32, in row-major order.
#[derive(Debug, Clone, PartialEq)]
pub struct Tensor {
    pub shape: Vec<usize>,
    pub data: Vec<f32>,
    /// The storage type the checkpoint declared (`FloatStorage`, `LongStorage`, …).
    pub storage: String,
}

/// A reference to (part of) a storage, from `_rebuild_tensor_v2`.
#[derive(Debug, Clone)]
struct TensorRef {
    key: String,
    storage: String,
    offset: usize,
    shape: Vec<usize>,
    stride: Vec<usize>,
}

/// The tensors of a checkpoint by name (`main.0.weight`, …).
#[derive(Debug, Clone, Default)]
pub struct Checkpoint {
    pub tensors: HashMap<String, Tensor>,
}

impl Checkpoint {
    /// Reads the state dict of a checkpoint file, either format. `key` names the entry that holds
    /// it when the file saves a dict of several things (`netG_state_dict`); `None` takes the top
    /// level, or its only dict-of-tensors entry.
    pub fn read(path: &Path, key: Option<&str>) -> Result<Checkpoint, Error> {
        let name = path.display().to_string();
        let bytes = vecspace_core::io::read_regular(path, vecspace_core::io::READ_LIMIT)
            .map_err(|source| Error::Io { path: name.clone(), source })?;
        if bytes.starts_with(b"PK\x03\x04") {
            read_zip(&name, std::io::Cursor::new(bytes), key)
        } else {
            read_legacy(&name, &bytes, key)
        }
    }

    /// A tensor by name, with its expected shape checked.
    pub fn tensor(&self, name: &str, shape: &[usize]) -> Result<&Tensor, Error> {
        let tensor = self.tensors.get(name).ok_or_else(|| Error::MissingTensor { name: name.to_owned() })?;
        if tensor.shape != shape {
            return Err(Error::TensorShape {
                name: name.to_owned(),
                found: tensor.shape.clone(),
                expected: shape.to_vec(),
            });
        }
        Ok(tensor)
    }
}

/// Turns the calls a state dict is made of into values: OrderedDicts into dicts, tensor rebuilds
/// into tensor references (kept as a tagged tuple until the storages are read). Public for the
/// pickle fuzz target, which runs the machine with it.
pub fn interpret(callable: &Value, args: &Value) -> Option<Value> {
    let Value::Global { module, name } = callable else { return None };
    match (module.as_str(), name.as_str()) {
        ("collections", "OrderedDict") => Some(Value::Dict(Vec::new())),
        ("torch._utils", "_rebuild_tensor_v2" | "_rebuild_tensor") => {
            let mut items = args.items()?.to_vec();
            items.truncate(4);
            Some(Value::Tuple([vec![Value::String("__tensor__".into())], items].concat()))
        }
        ("torch._utils", "_rebuild_parameter") => args.items()?.first().cloned(),
        _ => None,
    }
}

fn tensor_ref(value: &Value) -> Option<TensorRef> {
    let items = value.items()?;
    if items.first()?.as_str()? != "__tensor__" {
        return None;
    }
    let Value::Persistent(id) = items.get(1)? else { return None };
    // ('storage', storage_type, key, location, numel[, view_metadata])
    let id = id.items()?;
    let storage = match id.get(1)? {
        Value::Global { name, .. } => name.clone(),
        other => other.as_str()?.to_owned(),
    };
    let key = id.get(2)?.as_str()?.to_owned();
    let offset = usize::try_from(items.get(2)?.as_int()?).ok()?;
    let dims =
        |v: &Value| -> Option<Vec<usize>> { v.items()?.iter().map(|d| usize::try_from(d.as_int()?).ok()).collect() };
    Some(TensorRef { key, storage, offset, shape: dims(items.get(3)?)?, stride: dims(items.get(4)?)? })
}

/// Bytes per element of a storage type.
fn element_size(storage: &str) -> Option<usize> {
    Some(match storage {
        "FloatStorage" | "IntStorage" => 4,
        "DoubleStorage" | "LongStorage" => 8,
        "HalfStorage" | "BFloat16Storage" | "ShortStorage" => 2,
        "ByteStorage" | "CharStorage" | "BoolStorage" => 1,
        _ => return None,
    })
}

fn element(storage: &str, bytes: &[u8]) -> f32 {
    match storage {
        "FloatStorage" => f32::from_le_bytes(bytes.try_into().expect("4 bytes")),
        "DoubleStorage" => f64::from_le_bytes(bytes.try_into().expect("8 bytes")) as f32,
        "LongStorage" => i64::from_le_bytes(bytes.try_into().expect("8 bytes")) as f32,
        "IntStorage" => i32::from_le_bytes(bytes.try_into().expect("4 bytes")) as f32,
        "ShortStorage" => f32::from(i16::from_le_bytes(bytes.try_into().expect("2 bytes"))),
        "HalfStorage" => half_to_f32(u16::from_le_bytes(bytes.try_into().expect("2 bytes"))),
        "BFloat16Storage" => f32::from_bits(u32::from(u16::from_le_bytes(bytes.try_into().expect("2 bytes"))) << 16),
        "CharStorage" => f32::from(bytes[0] as i8),
        _ => f32::from(bytes[0]),
    }
}

fn half_to_f32(h: u16) -> f32 {
    let sign = if h & 0x8000 != 0 { -1.0 } else { 1.0 };
    let exponent = i32::from((h >> 10) & 0x1f);
    let mantissa = f32::from(h & 0x3ff);
    sign * match exponent {
        0 => mantissa * 2f32.powi(-24),
        31 if mantissa == 0.0 => f32::INFINITY,
        31 => f32::NAN,
        e => (1.0 + mantissa / 1024.0) * 2f32.powi(e - 15),
    }
}

/// Gathers a (possibly strided) tensor out of its storage's bytes.
fn materialise(path: &str, name: &str, r: &TensorRef, storage: &[u8]) -> Result<Tensor, Error> {
    let malformed = |message: String| Error::Malformed { path: path.to_owned(), message };
    let size = element_size(&r.storage)
        .ok_or_else(|| malformed(format!("tensor {name:?} has unsupported storage {}", r.storage)))?;
    if r.shape.len() != r.stride.len() {
        return Err(malformed(format!("tensor {name:?} has {} sizes but {} strides", r.shape.len(), r.stride.len())));
    }
    let count: usize = r
        .shape
        .iter()
        .try_fold(1usize, |a, &d| a.checked_mul(d))
        .ok_or_else(|| malformed(format!("tensor {name:?} is too large")))?;
    let elements = storage.len() / size;
    // The furthest element a view touches must lie inside the storage.
    let last = r
        .shape
        .iter()
        .zip(&r.stride)
        .try_fold(r.offset, |a, (&d, &s)| a.checked_add(d.saturating_sub(1).checked_mul(s)?));
    if count > 0 && last.is_none_or(|last| last >= elements) {
        return Err(malformed(format!("tensor {name:?} reaches past the end of storage {}", r.key)));
    }
    // A view that repeats values (a zero stride) could claim far more values than its storage
    // holds and size the allocation below; checkpoints store parameters, which never repeat.
    if count > elements {
        return Err(malformed(format!(
            "tensor {name:?} claims {count} values from a storage of {elements}; repeated (expanded) views are not read"
        )));
    }
    let mut data = Vec::with_capacity(count);
    let mut index = vec![0usize; r.shape.len()];
    for _ in 0..count {
        let at = r.offset + index.iter().zip(&r.stride).map(|(i, s)| i * s).sum::<usize>();
        data.push(element(&r.storage, &storage[at * size..(at + 1) * size]));
        for axis in (0..index.len()).rev() {
            index[axis] += 1;
            if index[axis] < r.shape[axis] {
                break;
            }
            index[axis] = 0;
        }
    }
    Ok(Tensor { shape: r.shape.clone(), data, storage: r.storage.clone() })
}

/// The dict of tensors to read: `key`'s entry, the top level, or the only dict entry that holds
/// tensors.
fn state_dict<'v>(path: &str, top: &'v Value, key: Option<&str>) -> Result<&'v [(Value, Value)], Error> {
    let keys = || match top {
        Value::Dict(pairs) => pairs.iter().filter_map(|(k, _)| k.as_str()).collect::<Vec<_>>().join(", "),
        _ => String::from("(not a dict)"),
    };
    let has_tensors = |v: &Value| matches!(v, Value::Dict(pairs) if pairs.iter().any(|(_, t)| tensor_ref(t).is_some()));
    let chosen = match key {
        Some(key) => top.get(key),
        None if has_tensors(top) => Some(top),
        None => match top {
            Value::Dict(pairs) => {
                let candidates: Vec<&Value> = pairs.iter().map(|(_, v)| v).filter(|v| has_tensors(v)).collect();
                (candidates.len() == 1).then(|| candidates[0])
            }
            _ => None,
        },
    };
    match chosen {
        Some(Value::Dict(pairs)) if pairs.iter().any(|(_, t)| tensor_ref(t).is_some()) => Ok(pairs),
        _ => Err(Error::NoStateDict {
            path: path.to_owned(),
            key: key.unwrap_or("(top level)").to_owned(),
            keys: keys(),
        }),
    }
}

fn read_zip<R: Read + Seek>(path: &str, reader: R, key: Option<&str>) -> Result<Checkpoint, Error> {
    let not = |reason: String| Error::NotACheckpoint { path: path.to_owned(), reason };
    let mut archive = zip::ZipArchive::new(reader).map_err(|e| not(format!("unreadable zip: {e}")))?;
    let pickle_name = archive
        .file_names()
        .filter_map(|n| n.ok().map(|n| n.into_owned()))
        .find(|n| n.ends_with("/data.pkl") || n == "data.pkl")
        .ok_or_else(|| not("no data.pkl in the archive".into()))?;
    let prefix = pickle_name.trim_end_matches("data.pkl").to_owned();
    let mut read_member = |name: &str, limit: u64| -> Result<Vec<u8>, Error> {
        let member = archive.by_name(name).map_err(|e| not(format!("member {name}: {e}")))?;
        if member.size() > limit {
            return Err(not(format!("member {name} is implausibly large")));
        }
        // The declared size is the file's word, not a fact: grow to what is really there.
        let mut bytes = Vec::with_capacity(member.size().min(64 << 20) as usize);
        member.take(limit).read_to_end(&mut bytes).map_err(|source| Error::Io { path: path.to_owned(), source })?;
        Ok(bytes)
    };
    let pickled = read_member(&pickle_name, 1 << 30)?;
    let (top, _) =
        pickle::load(&pickled, &interpret).map_err(|source| Error::Pickle { path: path.to_owned(), source })?;
    let mut tensors = HashMap::new();
    let mut storages: HashMap<String, Vec<u8>> = HashMap::new();
    for (name, value) in state_dict(path, &top, key)? {
        let (Some(name), Some(r)) = (name.as_str(), tensor_ref(value)) else { continue };
        if !storages.contains_key(&r.key) {
            let bytes = read_member(&format!("{prefix}data/{}", r.key), 16 << 30)?;
            storages.insert(r.key.clone(), bytes);
        }
        tensors.insert(name.to_owned(), materialise(path, name, &r, &storages[&r.key])?);
    }
    Ok(Checkpoint { tensors })
}

/// The number the legacy format starts with.
const LEGACY_MAGIC: [u8; 10] = [0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];

fn read_legacy(path: &str, bytes: &[u8], key: Option<&str>) -> Result<Checkpoint, Error> {
    let pickle_error = |source| Error::Pickle { path: path.to_owned(), source };
    let (magic, mut pos) = pickle::load(bytes, &|_, _| None).map_err(|e| Error::NotACheckpoint {
        path: path.to_owned(),
        reason: format!("neither a zip archive nor a legacy torch file ({e})"),
    })?;
    if magic != Value::Bytes(LEGACY_MAGIC.to_vec()) {
        return Err(Error::NotACheckpoint {
            path: path.to_owned(),
            reason: "the legacy magic number is missing".into(),
        });
    }
    let mut next = |interpret: &dyn Fn(&Value, &Value) -> Option<Value>| -> Result<Value, Error> {
        let (value, used) = pickle::load(&bytes[pos..], interpret).map_err(pickle_error)?;
        pos += used;
        Ok(value)
    };
    let _protocol = next(&|_, _| None)?;
    let system = next(&|_, _| None)?;
    if system.get("little_endian") == Some(&Value::Bool(false)) {
        return Err(Error::Malformed {
            path: path.to_owned(),
            message: "big-endian checkpoints are not supported".into(),
        });
    }
    let top = next(&interpret)?;
    let keys = next(&|_, _| None)?;
    let keys: Vec<String> =
        keys.items().unwrap_or_default().iter().filter_map(|k| k.as_str().map(str::to_owned)).collect();
    // Storage types by key, from the tensors that refer to them.
    let dict = state_dict(path, &top, key)?;
    let types: HashMap<String, String> =
        dict.iter().filter_map(|(_, v)| tensor_ref(v)).map(|r| (r.key, r.storage)).collect();
    let mut storages: HashMap<String, &[u8]> = HashMap::new();
    for storage_key in &keys {
        let malformed = |message: String| Error::Malformed { path: path.to_owned(), message };
        let count = bytes
            .get(pos..pos + 8)
            .map(|b| u64::from_le_bytes(b.try_into().expect("8 bytes")))
            .ok_or_else(|| malformed(format!("truncated before storage {storage_key}")))?;
        let size = types.get(storage_key).and_then(|t| element_size(t)).unwrap_or(4) as u64;
        let length = count.checked_mul(size).filter(|&l| l <= (bytes.len() - pos - 8) as u64).ok_or_else(|| {
            malformed(format!("storage {storage_key} declares {count} elements, more than the file holds"))
        })?;
        pos += 8;
        storages.insert(storage_key.clone(), &bytes[pos..pos + length as usize]);
        pos += length as usize;
    }
    let mut tensors = HashMap::new();
    for (name, value) in dict {
        let (Some(name), Some(r)) = (name.as_str(), tensor_ref(value)) else { continue };
        let storage = storages.get(&r.key).ok_or_else(|| Error::Malformed {
            path: path.to_owned(),
            message: format!("tensor {name:?} refers to missing storage {}", r.key),
        })?;
        tensors.insert(name.to_owned(), materialise(path, name, &r, storage)?);
    }
    Ok(Checkpoint { tensors })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_precision_converts() {
        assert_eq!(half_to_f32(0x3c00), 1.0);
        assert_eq!(half_to_f32(0xc000), -2.0);
        assert_eq!(half_to_f32(0x0001), 2f32.powi(-24));
        assert!(half_to_f32(0x7e00).is_nan());
    }

    #[test]
    fn a_tensor_tag_without_its_parts_is_not_a_tensor() {
        // What a crafted `_rebuild_tensor_v2` with no arguments turns into (found by fuzzing).
        let bare = Value::Tuple(vec![Value::String("__tensor__".into())]);
        assert!(tensor_ref(&bare).is_none());
    }

    #[test]
    fn strided_views_are_gathered() {
        // A 2×3 view with strides (1, 2) over storage [0, 1, 2, 3, 4, 5]: the transpose of 3×2.
        let storage: Vec<u8> = (0..6).flat_map(|i| (i as f32).to_le_bytes()).collect();
        let r = TensorRef {
            key: "0".into(),
            storage: "FloatStorage".into(),
            offset: 0,
            shape: vec![2, 3],
            stride: vec![1, 2],
        };
        assert_eq!(materialise("t", "x", &r, &storage).unwrap().data, vec![0.0, 2.0, 4.0, 1.0, 3.0, 5.0]);
        let beyond = TensorRef { offset: 1, ..r };
        assert!(materialise("t", "x", &beyond, &storage).is_err());
    }
}

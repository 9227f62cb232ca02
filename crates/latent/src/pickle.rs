//! The subset of Python's pickle machine that PyTorch checkpoints use (protocol 2–4 opcodes for
//! dicts, tuples, lists, numbers, strings, globals, REDUCE and persistent ids).
//!
//! Nothing is executed: a `REDUCE` of a global becomes a [`Value::Call`] describing the call, and
//! the few constructors checkpoints need (`collections.OrderedDict`, torch's tensor rebuilders) are
//! interpreted by the caller. Input is untrusted: unknown opcodes, stack underflow and
//! out-of-range memo references are errors, never panics.

use std::collections::HashMap;

/// A pickled value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    None,
    Bool(bool),
    Int(i64),
    Float(f64),
    String(String),
    Bytes(Vec<u8>),
    Tuple(Vec<Value>),
    List(Vec<Value>),
    /// Key/value pairs in insertion order (dicts and OrderedDicts alike).
    Dict(Vec<(Value, Value)>),
    /// `module.name`, as a GLOBAL or STACK_GLOBAL names it.
    Global {
        module: String,
        name: String,
    },
    /// A REDUCE (or NEWOBJ) that was not interpreted: the callable and its arguments.
    Call {
        callable: Box<Value>,
        args: Box<Value>,
    },
    /// The argument of a persistent id (BINPERSID): for torch, a storage reference.
    Persistent(Box<Value>),
}

impl Value {
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_int(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            Value::Bool(b) => Some(i64::from(*b)),
            _ => None,
        }
    }

    /// Items of a tuple or list.
    pub fn items(&self) -> Option<&[Value]> {
        match self {
            Value::Tuple(items) | Value::List(items) => Some(items),
            _ => None,
        }
    }

    /// The value of `key` in a dict.
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Dict(pairs) => pairs.iter().find(|(k, _)| k.as_str() == Some(key)).map(|(_, v)| v),
            _ => None,
        }
    }
}

/// Why a pickle could not be read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("pickle, byte {offset}: {message}")]
pub struct PickleError {
    pub offset: usize,
    pub message: String,
}

/// Reads one pickle from the start of `bytes`, returning the value and the bytes it used.
/// `interpret` may replace a `REDUCE` of a known global by the value it constructs.
pub fn load(bytes: &[u8], interpret: &dyn Fn(&Value, &Value) -> Option<Value>) -> Result<(Value, usize), PickleError> {
    let mut machine = Machine { bytes, pos: 0, stack: Vec::new(), marks: Vec::new(), memo: HashMap::new(), copied: 0 };
    let value = machine.run(interpret)?;
    Ok((value, machine.pos))
}

struct Machine<'a> {
    bytes: &'a [u8],
    pos: usize,
    /// Each value with how deeply it nests (0 for a scalar), kept below [`MAX_DEPTH`] so that
    /// cloning and dropping values, which recurse, cannot overflow the stack.
    stack: Vec<(Value, u32)>,
    marks: Vec<usize>,
    /// Each memoised value with its depth and how many values it holds.
    memo: HashMap<u32, (Value, u32, u64)>,
    /// Values copied so far by memo and DUP operations: a pickle that doubles a list through the
    /// memo thirty times would otherwise ask for 2^30 of them.
    copied: u64,
}

/// Deepest nesting accepted, so a hostile file cannot exhaust memory through marks.
const MAX_MARKS: usize = 10_000;

/// Deepest nesting of containers accepted; checkpoints nest a handful of levels.
const MAX_DEPTH: u32 = 256;

/// Most values memo and DUP operations may copy in one pickle; a checkpoint copies a few thousand.
const MAX_COPIED: u64 = 1 << 24;

/// How many values `value` holds, itself included (its depth is bounded by [`MAX_DEPTH`]).
fn count(value: &Value) -> u64 {
    1 + match value {
        Value::Tuple(items) | Value::List(items) => items.iter().map(count).sum(),
        Value::Dict(pairs) => pairs.iter().map(|(k, v)| count(k) + count(v)).sum(),
        Value::Call { callable, args } => count(callable) + count(args),
        Value::Persistent(id) => count(id),
        _ => 0,
    }
}

impl Machine<'_> {
    fn error(&self, message: impl Into<String>) -> PickleError {
        PickleError { offset: self.pos, message: message.into() }
    }

    fn take(&mut self, n: usize) -> Result<&[u8], PickleError> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.bytes.len()).ok_or_else(|| self.error("truncated"))?;
        let slice = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(slice)
    }

    fn u8(&mut self) -> Result<u8, PickleError> {
        Ok(self.take(1)?[0])
    }

    fn u16(&mut self) -> Result<u16, PickleError> {
        Ok(u16::from_le_bytes(self.take(2)?.try_into().expect("2 bytes")))
    }

    fn u32(&mut self) -> Result<u32, PickleError> {
        Ok(u32::from_le_bytes(self.take(4)?.try_into().expect("4 bytes")))
    }

    fn line(&mut self) -> Result<String, PickleError> {
        let rest = &self.bytes[self.pos..];
        let end = rest.iter().position(|&b| b == b'\n').ok_or_else(|| self.error("unterminated text line"))?;
        let text = String::from_utf8_lossy(&rest[..end]).into_owned();
        self.pos += end + 1;
        Ok(text)
    }

    fn pop_entry(&mut self) -> Result<(Value, u32), PickleError> {
        if self.marks.last().is_some_and(|&m| m >= self.stack.len()) {
            return Err(self.error("stack underflow past a mark"));
        }
        self.stack.pop().ok_or_else(|| self.error("stack underflow"))
    }

    fn pop(&mut self) -> Result<Value, PickleError> {
        Ok(self.pop_entry()?.0)
    }

    /// The values since the last mark, and the depth of the deepest.
    fn pop_mark(&mut self) -> Result<(Vec<Value>, u32), PickleError> {
        let mark = self.marks.pop().ok_or_else(|| self.error("no mark to pop to"))?;
        let entries = self.stack.split_off(mark);
        let deepest = entries.iter().map(|(_, d)| *d).max().unwrap_or(0);
        Ok((entries.into_iter().map(|(v, _)| v).collect(), deepest))
    }

    /// The top value, after recording that something `child` deep goes into it.
    fn top_holding(&mut self, child: u32) -> Result<&mut Value, PickleError> {
        let depth = self.container_depth(child)?;
        let error = self.error("stack underflow");
        let (value, d) = self.stack.last_mut().ok_or(error)?;
        *d = (*d).max(depth);
        Ok(value)
    }

    /// The depth of a container holding something `child` deep, if it is allowed.
    fn container_depth(&self, child: u32) -> Result<u32, PickleError> {
        if child >= MAX_DEPTH {
            return Err(self.error(format!("containers nested more than {MAX_DEPTH} deep")));
        }
        Ok(child + 1)
    }

    fn push(&mut self, value: Value) {
        self.stack.push((value, 0));
    }

    fn push_container(&mut self, value: Value, child: u32) -> Result<(), PickleError> {
        let depth = self.container_depth(child)?;
        self.stack.push((value, depth));
        Ok(())
    }

    /// A copy of the top value with its depth and size, counted against [`MAX_COPIED`].
    fn copy_top(&mut self) -> Result<(Value, u32, u64), PickleError> {
        let (value, depth) = self.stack.last().ok_or_else(|| self.error("stack underflow"))?;
        let size = count(value);
        let (value, depth) = (value.clone(), *depth);
        self.count_copy(size)?;
        Ok((value, depth, size))
    }

    fn count_copy(&mut self, size: u64) -> Result<(), PickleError> {
        self.copied = self.copied.saturating_add(size);
        if self.copied > MAX_COPIED {
            return Err(self.error(format!("memo and DUP copy more than {MAX_COPIED} values")));
        }
        Ok(())
    }

    fn text(&mut self, len: usize) -> Result<Value, PickleError> {
        let bytes = self.take(len)?;
        let text =
            std::str::from_utf8(bytes).map_err(|_| PickleError { offset: 0, message: "invalid UTF-8".into() })?;
        Ok(Value::String(text.to_owned()))
    }

    fn run(&mut self, interpret: &dyn Fn(&Value, &Value) -> Option<Value>) -> Result<Value, PickleError> {
        loop {
            let opcode = self.u8()?;
            match opcode {
                b'\x80' => {
                    self.u8()?; // PROTO n
                }
                b'\x95' => {
                    self.take(8)?; // FRAME length: the bytes follow inline
                }
                b'.' => return self.pop(),
                b'(' => {
                    if self.marks.len() >= MAX_MARKS {
                        return Err(self.error("marks nested too deeply"));
                    }
                    self.marks.push(self.stack.len());
                }
                b'N' => self.push(Value::None),
                b'\x88' => self.push(Value::Bool(true)),
                b'\x89' => self.push(Value::Bool(false)),
                b'K' => {
                    let v = self.u8()?;
                    self.push(Value::Int(i64::from(v)));
                }
                b'M' => {
                    let v = self.u16()?;
                    self.push(Value::Int(i64::from(v)));
                }
                b'J' => {
                    let v = self.u32()? as i32;
                    self.push(Value::Int(i64::from(v)));
                }
                b'\x8a' => {
                    // LONG1: little-endian two's complement of n bytes.
                    let n = usize::from(self.u8()?);
                    let bytes = self.take(n)?.to_vec();
                    if n > 8 {
                        // Larger than i64 (torch's legacy magic number is 10 bytes): keep the bytes.
                        self.push(Value::Bytes(bytes));
                    } else {
                        let mut buffer = if bytes.last().is_some_and(|&b| b & 0x80 != 0) { [0xff; 8] } else { [0; 8] };
                        buffer[..n].copy_from_slice(&bytes);
                        self.push(Value::Int(i64::from_le_bytes(buffer)));
                    }
                }
                b'G' => {
                    let v = f64::from_be_bytes(self.take(8)?.try_into().expect("8 bytes"));
                    self.push(Value::Float(v));
                }
                b'X' => {
                    let len = self.u32()? as usize;
                    let v = self.text(len)?;
                    self.push(v);
                }
                b'\x8c' => {
                    let len = usize::from(self.u8()?);
                    let v = self.text(len)?;
                    self.push(v);
                }
                b'U' => {
                    let len = usize::from(self.u8()?);
                    let v = self.text(len)?;
                    self.push(v);
                }
                b'T' => {
                    let len = self.u32()? as usize;
                    let v = self.text(len)?;
                    self.push(v);
                }
                b'C' => {
                    let len = usize::from(self.u8()?);
                    let v = self.take(len)?.to_vec();
                    self.push(Value::Bytes(v));
                }
                b'B' => {
                    let len = self.u32()? as usize;
                    let v = self.take(len)?.to_vec();
                    self.push(Value::Bytes(v));
                }
                b')' => self.push(Value::Tuple(Vec::new())),
                b']' => self.push(Value::List(Vec::new())),
                b'}' => self.push(Value::Dict(Vec::new())),
                b't' => {
                    let (items, deepest) = self.pop_mark()?;
                    self.push_container(Value::Tuple(items), deepest)?;
                }
                b'l' => {
                    let (items, deepest) = self.pop_mark()?;
                    self.push_container(Value::List(items), deepest)?;
                }
                b'\x85' | b'\x86' | b'\x87' => {
                    let n = usize::from(opcode - b'\x84');
                    let mut items = Vec::with_capacity(n);
                    let mut deepest = 0;
                    for _ in 0..n {
                        let (item, depth) = self.pop_entry()?;
                        deepest = deepest.max(depth);
                        items.push(item);
                    }
                    items.reverse();
                    self.push_container(Value::Tuple(items), deepest)?;
                }
                b'a' => {
                    let (item, depth) = self.pop_entry()?;
                    match self.top_holding(depth)? {
                        Value::List(items) => items.push(item),
                        _ => return Err(self.error("APPEND to a non-list")),
                    }
                }
                b'e' => {
                    let (items, deepest) = self.pop_mark()?;
                    match self.top_holding(deepest)? {
                        Value::List(list) => list.extend(items),
                        _ => return Err(self.error("APPENDS to a non-list")),
                    }
                }
                b's' => {
                    let (value, value_depth) = self.pop_entry()?;
                    let (key, key_depth) = self.pop_entry()?;
                    match self.top_holding(value_depth.max(key_depth))? {
                        Value::Dict(pairs) => pairs.push((key, value)),
                        _ => return Err(self.error("SETITEM on a non-dict")),
                    }
                }
                b'u' => {
                    let (items, deepest) = self.pop_mark()?;
                    if items.len() % 2 != 0 {
                        return Err(self.error("SETITEMS with an odd number of items"));
                    }
                    let mut items = items.into_iter();
                    let error = self.error("SETITEMS on a non-dict");
                    match self.top_holding(deepest)? {
                        Value::Dict(pairs) => {
                            while let (Some(k), Some(v)) = (items.next(), items.next()) {
                                pairs.push((k, v));
                            }
                        }
                        _ => return Err(error),
                    }
                }
                b'c' => {
                    let module = self.line()?;
                    let name = self.line()?;
                    self.push(Value::Global { module, name });
                }
                b'\x93' => {
                    let name = self.pop()?;
                    let module = self.pop()?;
                    match (module, name) {
                        (Value::String(module), Value::String(name)) => self.push(Value::Global { module, name }),
                        _ => return Err(self.error("STACK_GLOBAL needs two strings")),
                    }
                }
                b'R' | b'\x81' => {
                    let (args, args_depth) = self.pop_entry()?;
                    let (callable, callable_depth) = self.pop_entry()?;
                    let value = interpret(&callable, &args)
                        .unwrap_or(Value::Call { callable: Box::new(callable), args: Box::new(args) });
                    // An interpreted call builds from its arguments, one level up at most.
                    self.push_container(value, args_depth.max(callable_depth))?;
                }
                b'b' => {
                    // BUILD: object state (an OrderedDict's _metadata, say) is not needed.
                    self.pop()?;
                }
                b'Q' => {
                    let (id, depth) = self.pop_entry()?;
                    self.push_container(Value::Persistent(Box::new(id)), depth)?;
                }
                b'q' => {
                    let index = u32::from(self.u8()?);
                    let entry = self.copy_top()?;
                    self.memo.insert(index, entry);
                }
                b'r' => {
                    let index = self.u32()?;
                    let entry = self.copy_top()?;
                    self.memo.insert(index, entry);
                }
                b'\x94' => {
                    let index = self.memo.len() as u32;
                    let entry = self.copy_top()?;
                    self.memo.insert(index, entry);
                }
                b'h' | b'j' => {
                    let index = if opcode == b'h' { u32::from(self.u8()?) } else { self.u32()? };
                    let size = self.memo.get(&index).map(|(_, _, size)| *size);
                    self.count_copy(size.ok_or_else(|| self.error(format!("memo {index} is unset")))?)?;
                    let (value, depth, _) = self.memo[&index].clone();
                    self.stack.push((value, depth));
                }
                b'0' => {
                    self.pop()?;
                }
                b'2' => {
                    let (value, depth, _) = self.copy_top()?;
                    self.stack.push((value, depth));
                }
                other => return Err(self.error(format!("unsupported pickle opcode 0x{other:02x}"))),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(bytes: &[u8]) -> Result<Value, PickleError> {
        load(bytes, &|_, _| None).map(|(v, _)| v)
    }

    #[test]
    fn reads_the_structures_checkpoints_use() {
        // pickle.dumps({"a": (1, 300, -2), "b": [True, None, 1.5], "c": "é"}, protocol=2)
        let bytes = b"\x80\x02}q\x00(X\x01\x00\x00\x00aq\x01K\x01M,\x01J\xfe\xff\xff\xff\x87q\x02X\x01\x00\x00\x00bq\x03]q\x04(\x88NG?\xf8\x00\x00\x00\x00\x00\x00eX\x01\x00\x00\x00cq\x05X\x02\x00\x00\x00\xc3\xa9q\x06u.";
        let value = plain(bytes).unwrap();
        assert_eq!(value.get("a"), Some(&Value::Tuple(vec![Value::Int(1), Value::Int(300), Value::Int(-2)])));
        assert_eq!(value.get("b"), Some(&Value::List(vec![Value::Bool(true), Value::None, Value::Float(1.5)])));
        assert_eq!(value.get("c").and_then(Value::as_str), Some("é"));
    }

    #[test]
    fn globals_reduce_and_memo_work() {
        // GLOBAL collections.OrderedDict, (), REDUCE, memoised and fetched twice.
        let bytes = b"\x80\x02ccollections\nOrderedDict\nq\x00)Rq\x01h\x01\x86.";
        let value = plain(bytes).unwrap();
        let Value::Tuple(items) = value else { panic!() };
        assert!(
            matches!(&items[0], Value::Call { callable, .. } if **callable == Value::Global { module: "collections".into(), name: "OrderedDict".into() })
        );
        assert_eq!(items[0], items[1]);
        let interpreted = load(bytes, &|_, _| Some(Value::Dict(vec![]))).unwrap().0;
        assert_eq!(interpreted, Value::Tuple(vec![Value::Dict(vec![]), Value::Dict(vec![])]));
    }

    #[test]
    fn hostile_input_is_an_error() {
        for bytes in [&b""[..], b"\x80", b"X\xff\xff\xff\xff", b"h\x05.", b"t.", b"a.", b"\xff", b"(((((", b"K\x01u."] {
            assert!(plain(bytes).is_err(), "{bytes:?}");
        }
        let deep = vec![b'('; MAX_MARKS + 5];
        assert!(plain(&deep).is_err());
        // 20 000 lists, each appended into the one below: dropping that value would recurse
        // 20 000 deep. Refused at the 257th level instead.
        let n = 20_000;
        let nested: Vec<u8> = [vec![b']'; n], vec![b'a'; n - 1], vec![b'.']].concat();
        let err = plain(&nested).unwrap_err();
        assert!(err.message.contains("nested more than 256 deep"), "{err}");
        // A list doubled through the memo 40 times: 2^40 values from 300 bytes, refused.
        let mut doubling = b"]q\x00".to_vec();
        for _ in 0..40 {
            doubling.extend_from_slice(b"h\x00h\x00\x86q\x00");
        }
        doubling.push(b'.');
        let err = plain(&doubling).unwrap_err();
        assert!(err.message.contains("copy more than"), "{err}");
        // Nesting within the bound is read.
        let shallow: Vec<u8> = [vec![b']'; 100], vec![b'a'; 99], vec![b'.']].concat();
        assert!(plain(&shallow).is_ok());
    }
}

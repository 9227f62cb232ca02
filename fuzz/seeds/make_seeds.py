#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets (fuzz/corpus/TARGET/) and seeds/tiny-llama.gguf.

Small valid files of every format, written here from the format descriptions (docs/FORMAT.md and
the readers' module comments), a few damaged variants, and short prefixes of real files from the
cache (~/.cache/vecspace or $VECSPACE_HOME) where they exist. The native .vsp and word2vec binary
seeds are converted by the project's own writer: pass the vecspace binary with --cli (default:
target/release/vecspace or target/debug/vecspace of the repository, if built).

Only the standard library is needed: python3 fuzz/seeds/make_seeds.py [--cli PATH]
"""

import argparse
import collections
import io
import json
import math
import os
import pickle
import struct
import subprocess
import sys
import tempfile
import types
import zipfile
from pathlib import Path

FUZZ = Path(__file__).resolve().parent.parent
REPO = FUZZ.parent
CORPUS = FUZZ / "corpus"
PREFIX = 4096

# --- the small space of fuzz/src/lib.rs -------------------------------------------------------

WORDS = [
    "king", "queen", "man", "woman", "prince", "princess", "boy", "girl", "paris", "france", "berlin", "germany",
    "rome", "italy", "happy", "sad", "good", "bad", "big", "small", "cat", "dog", "new_york", "seed:12", "café",
    "naïve", "u.s.", "'s", "the", "a", "x", "日本",
]
DIMS = 8
BASES = [[1, 2, 2], [3, 4, 0], [2, 3, 6], [1, 4, 8], [4, 4, 7], [2, 6, 9]]


def small_row(row):
    base = BASES[row % len(BASES)]
    shift = (row * 3) % DIMS
    values = [0.0] * DIMS
    for i, b in enumerate(base):
        sign = -1.0 if (row >> i) & 1 else 1.0
        values[(i * (1 + row % 2) + shift) % DIMS] = sign * b / 4.0
    return values


ROWS = [small_row(r) for r in range(len(WORDS))]


def norms():
    # Whole multiples of 1/4: exact in f32, whatever order the sum is taken in.
    return [math.sqrt(sum(v * v for v in row)) for row in ROWS]


def fingerprint(count, dims, row_norms):
    """FNV-1a over the shape and the row norms (vecspace_core::search::Rows::fingerprint)."""
    h = 0xCBF29CE484222325
    data = struct.pack("<QQ", count, dims) + b"".join(struct.pack("<f", n) for n in row_norms)
    for b in data:
        h ^= b
        h = (h * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def fmt(v):
    return repr(float(v)).rstrip("0").rstrip(".") if v != int(v) else str(int(v))


def text_rows(words=WORDS, rows=ROWS):
    return "".join(f"{w} {' '.join(fmt(v) for v in row)}\n" for w, row in zip(words, rows))


# --- writing ----------------------------------------------------------------------------------

written = collections.Counter()


def seed(target, name, data):
    if isinstance(data, str):
        data = data.encode()
    path = CORPUS / target / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    written[target] += len(data)


def cache_dir():
    home = os.environ.get("VECSPACE_HOME")
    return Path(home) if home else Path.home() / ".cache" / "vecspace"


def real_prefix(relative, length=PREFIX):
    path = cache_dir() / relative
    if not path.is_file():
        print(f"(no {path}: its prefix seed is skipped)", file=sys.stderr)
        return None
    with open(path, "rb") as f:
        return f.read(length)


# --- word2vec, GloVe, npy, scores, directions ---------------------------------------------------


def npy(shape, values, dtype="<f4", fortran=False, version=1):
    dictionary = f"{{'descr': '{dtype}', 'fortran_order': {fortran}, 'shape': {shape}, }}"
    prefix = 10 if version == 1 else 12
    total = (len(dictionary) + 1 + prefix + 63) // 64 * 64
    text = dictionary.ljust(total - prefix - 1) + "\n"
    head = b"\x93NUMPY" + bytes([version, 0])
    head += struct.pack("<H" if version == 1 else "<I", len(text)) + text.encode()
    code = "<f" if dtype.endswith("4") else "<d"
    return head + b"".join(struct.pack(code, v) for v in values)


def safetensors(header, data):
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * (-len(raw) % 8)
    return struct.pack("<Q", len(raw)) + raw + data


def formats_seeds(cli):
    glove = text_rows()
    seed("formats_glove", "small.txt", glove)
    seed("formats_glove", "crlf-duplicates.txt", "king 1 2\r\nqueen 3 4\r\nking 5 6\r\n")
    seed("formats_glove", "bad-number.txt", "king 1 2\nqueen 3 nan\nman 1e40 0\n")
    w2v = f"{len(WORDS)} {DIMS}\n" + glove
    seed("formats_word2vec_text", "small.vec", w2v)
    seed("formats_word2vec_text", "short.vec", "3 2\nking 1 2\nqueen 3 4\n")
    seed("formats_word2vec_text", "bad-header.vec", "2 99999999999\nking 1 2\n")
    binary = f"{len(WORDS)} {DIMS}\n".encode()
    for w, row in zip(WORDS, ROWS):
        binary += w.encode() + b" " + b"".join(struct.pack("<f", v) for v in row) + b"\n"
    seed("formats_word2vec_binary", "small.bin", binary)
    seed("formats_word2vec_binary", "no-newlines.bin",
         b"2 2\nking " + struct.pack("<2f", 1, 2) + b"queen " + struct.pack("<2f", 3, 4))
    four = [v for row in ROWS[:4] for v in row]
    seed("formats_npy", "f4.npy", npy((4, 8), four))
    seed("formats_npy", "f8-fortran.npy", npy((4, 8), four, "<f8", "True"))
    seed("formats_npy", "v2.npy", npy((4, 2), four[:8], version=2))
    seed("formats_npy", "vector.npy", npy((8,), ROWS[0]))
    seed("formats_npy", "truncated.npy", npy((4, 8), four)[:-10])
    scores = "latent,smile,age\n" + "".join(f"seed:{i},{i / 10},{30 + i}\n" for i in range(8))
    seed("formats_scores", "latents.csv", scores)
    seed("formats_scores", "words.csv", "word,smile\r\nking,0.5\r\nqueen,-1e3\r\n\"u.s.\",nan\r\n")
    seed("formats_scores", "one.csv", "latent,score\nz:3,1\n")
    vector = struct.pack("<8f", *ROWS[1])
    metadata = {"format": "vecspace-direction/1", "space": "small", "dims": "8", "method": "mean-diff",
                "examples": "man:woman", "positive": "woman", "created": "2026-01-01T00:00:00Z", "accuracy": "0.9"}
    seed("formats_direction", "direction.safetensors", safetensors(
        {"__metadata__": metadata, "direction": {"dtype": "F32", "shape": [8], "data_offsets": [0, 32]}}, vector))
    seed("formats_direction", "f64.safetensors", safetensors(
        {"v": {"dtype": "F64", "shape": [1, 4], "data_offsets": [0, 32]}}, struct.pack("<4d", 1, 2, 3, 4)))
    seed("formats_direction", "two.safetensors", safetensors(
        {"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
         "b": {"dtype": "F16", "shape": [2], "data_offsets": [8, 12]}}, bytes(12)))
    hnsw_seeds()
    native = None
    if cli:
        with tempfile.TemporaryDirectory() as tmp:
            source = Path(tmp) / "small.txt"
            source.write_text(glove)
            for name, ext in [("native", "vsp"), ("binary", "bin")]:
                out = Path(tmp) / f"small.{ext}"
                subprocess.run([cli, "convert", "--from", "glove", str(source), str(out)], check=True,
                               stdout=subprocess.DEVNULL)
                data = out.read_bytes()
                if ext == "vsp":
                    native = data
                    seed("formats_native", "small.vsp", data)
                else:
                    seed("formats_word2vec_binary", "cli.bin", data)
            tiny = Path(tmp) / "tiny.txt"
            tiny.write_text("a 1 0\nb 0 1\n")
            out = Path(tmp) / "tiny.vsp"
            subprocess.run([cli, "convert", "--from", "glove", str(tiny), str(out)], check=True,
                           stdout=subprocess.DEVNULL)
            seed("formats_native", "tiny.vsp", out.read_bytes())
    else:
        print("no vecspace binary: the .vsp seeds are skipped", file=sys.stderr)
    prefix = real_prefix("spaces/glove-6b-50d.vsp")
    if prefix:
        seed("formats_native", "glove-prefix.vsp", prefix)
    # Detection sees every format.
    seed("formats_detect", "glove.txt", glove)
    seed("formats_detect", "w2v.vec", w2v)
    seed("formats_detect", "w2v.bin", binary)
    seed("formats_detect", "matrix.npy", npy((4, 8), four))
    if native:
        seed("formats_detect", "small.vsp", native)


def fasttext_model(versioned, words=WORDS[:6], dims=4, buckets=7, minn=2, maxn=4):
    """A fastText .bin (skipgram, negative sampling) as fastText writes it: the magic and version
    (unless the layout from before fastText 0.2), the arguments, the dictionary, the input matrix
    (words, then n-gram buckets) and the output matrix."""
    out = struct.pack("<2i", 793712314, 12) if versioned else b""
    out += struct.pack("<12i", dims, 5, 5, 1, 5, 1, 2, 2, buckets, minn, maxn, 100) + struct.pack("<d", 1e-4)
    out += struct.pack("<3iq", len(words), len(words), 0, 1000)
    if versioned:
        out += struct.pack("<q", -1)
    for i, w in enumerate(words):
        out += w.encode() + b"\0" + struct.pack("<qb", 100 - i, 0)
    if versioned:
        out += b"\0"
    values = [v / 4 for row in range(len(words) + buckets) for v in small_row(row)[:dims]]
    out += struct.pack("<2q", len(words) + buckets, dims) + struct.pack(f"<{len(values)}f", *values)
    if versioned:
        out += b"\0"
    out += struct.pack("<2q", len(words), dims) + bytes(len(words) * dims * 4)
    return out


def fasttext_seeds(cli):
    versioned = fasttext_model(True)
    seed("formats_fasttext", "versioned.bin", versioned)
    seed("formats_fasttext", "old-layout.bin", fasttext_model(False))
    seed("formats_fasttext", "no-buckets.bin", fasttext_model(True, buckets=0, minn=0, maxn=0))
    seed("formats_fasttext", "truncated.bin", versioned[:-9])
    seed("formats_detect", "fasttext.bin", versioned)
    if cli:
        with tempfile.TemporaryDirectory() as tmp:
            source, out = Path(tmp) / "model.bin", Path(tmp) / "subwords.vsp"
            source.write_bytes(versioned)
            subprocess.run([cli, "convert", str(source), str(out)], check=True, stdout=subprocess.DEVNULL)
            seed("formats_native", "subwords.vsp", out.read_bytes())


def hnsw_file(m, bottom, upper, entry, nodes=len(WORDS), dims=DIMS, print_=None):
    if print_ is None:
        print_ = fingerprint(nodes, dims, norms())
    head = b"VSHNSW\x00\x01" + struct.pack("<IIQIIQ", dims, m, nodes, entry, len(upper), print_)
    head = head.ljust(64, b"\x00")
    body = b"".join(struct.pack("<I", x) for x in bottom)
    for layer in upper:
        body += struct.pack("<Q", len(layer))
        for node in sorted(layer):
            links = layer[node] + [0xFFFFFFFF] * (m - len(layer[node]))
            body += struct.pack("<I", node) + b"".join(struct.pack("<I", x) for x in links)
    return head + body


def hnsw_seeds():
    n = len(WORDS)
    empty = 0xFFFFFFFF
    for m in (2, 4):
        bottom = []
        for node in range(n):
            links = [(node + k) % n for k in range(1, 2 * m + 1) if k < n][: 2 * m]
            bottom += links + [empty] * (2 * m - len(links))
        # Every fourth node on layer 1 in a ring, and nodes 0 and 8 on layer 2.
        layer1 = {node: [(node + 4) % n, (node - 4) % n][:m] for node in range(0, n, 4)}
        layer2 = {0: [8], 8: [0]}
        seed("formats_hnsw", f"m{m}.hnsw", hnsw_file(m, bottom, [layer1, layer2], 0))
    sparse = []
    for node in range(n):
        sparse += [(node + 1) % n] + [empty] * 3
    seed("formats_hnsw", "sparse.hnsw", hnsw_file(2, sparse, [], 5))


# --- GGUF ----------------------------------------------------------------------------------------

GGUF_TYPES = {"u8": 0, "i32": 5, "u32": 4, "f32": 6, "bool": 7, "str": 8, "arr": 9, "u64": 10, "f64": 12}


def gguf_string(s):
    raw = s.encode()
    return struct.pack("<Q", len(raw)) + raw


def gguf_value(kind, value):
    if kind == "str":
        return gguf_string(value)
    if kind == "arr":
        element, items = value
        return struct.pack("<IQ", GGUF_TYPES[element], len(items)) + b"".join(gguf_value(element, v) for v in items)
    code = {"u8": "<B", "i32": "<i", "u32": "<I", "f32": "<f", "bool": "<?", "u64": "<Q", "f64": "<d"}[kind]
    return struct.pack(code, value)


def gguf(metadata, tensors, alignment=32, version=3):
    """metadata: [(key, kind, value)]; tensors: [(name, dims innermost first, ggml type, bytes)]."""
    out = b"GGUF" + struct.pack("<IQQ", version, len(tensors), len(metadata))
    for key, kind, value in metadata:
        out += gguf_string(key) + struct.pack("<I", GGUF_TYPES[kind]) + gguf_value(kind, value)
    offset = 0
    offsets = []
    for name, dims, kind, data in tensors:
        out += gguf_string(name) + struct.pack("<I", len(dims)) + b"".join(struct.pack("<Q", d) for d in dims)
        out += struct.pack("<IQ", kind, offset)
        offsets.append(offset)
        offset += (len(data) + alignment - 1) // alignment * alignment
    out += b"\x00" * (-len(out) % alignment)
    for _, _, _, data in tensors:
        out += data + b"\x00" * (-len(data) % alignment)
    return out


def gpt2_byte_chars():
    table = []
    shifted = 0
    for byte in range(256):
        printable = 0x21 <= byte <= 0x7E or 0xA1 <= byte <= 0xAC or 0xAE <= byte <= 0xFF
        if printable:
            table.append(chr(byte))
        else:
            shifted += 1
            table.append(chr(255 + shifted))
    return table


TOKENIZER_WORDS = [" the", " and", "ing", " king", " queen", "hello", " world", "er", " 1", "é", "日本", "\n\n"]
CONTROL = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
SYSTEM = "You are a helpful AI assistant named SmolLM, trained by Hugging Face"


def tokenizer_metadata():
    """The small tokenizer of fuzz/src/lib.rs (tokenizer_metadata), as GGUF metadata."""
    table = gpt2_byte_chars()
    tokens = list(table)
    merges = []
    for word in TOKENIZER_WORDS:
        chars = [table[b] for b in word.encode()]
        merged = chars[0]
        for nxt in chars[1:]:
            merge = f"{merged} {nxt}"
            merged += nxt
            if merge not in merges:
                merges.append(merge)
            if merged not in tokens:
                tokens.append(merged)
    types_ = [1] * len(tokens) + [3] * len(CONTROL)
    eos = len(tokens)
    tokens += CONTROL
    template = ("{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
                "{{ '<|im_start|>system\\n" + SYSTEM + "<|im_end|>\\n' }}{% endif %}"
                "{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}"
                "{% endfor %}")
    return [
        ("tokenizer.ggml.model", "str", "gpt2"),
        ("tokenizer.ggml.pre", "str", "smollm"),
        ("tokenizer.ggml.tokens", "arr", ("str", tokens)),
        ("tokenizer.ggml.token_type", "arr", ("i32", types_)),
        ("tokenizer.ggml.merges", "arr", ("str", merges)),
        ("tokenizer.ggml.eos_token_id", "u32", eos),
        ("tokenizer.ggml.bos_token_id", "u32", eos),
        ("tokenizer.ggml.add_bos_token", "bool", False),
        ("tokenizer.chat_template", "str", template),
    ], len(tokens)


def f16_bytes(values):
    return b"".join(struct.pack("<e", v) for v in values)


def quantize(kind, values):
    """GGML blocks of 32 values: Q8_0 (f16 scale, 32 i8), Q4_0 (f16 scale, 16 bytes of nibbles,
    offset 8), Q4_1 (f16 scale and minimum, 16 bytes of nibbles)."""
    out = b""
    for start in range(0, len(values), 32):
        block = values[start:start + 32]
        if kind == 8:
            scale = max(abs(v) for v in block) / 127 or 1.0
            out += struct.pack("<e", scale) + bytes((round(v / scale) & 0xFF) for v in block)
        elif kind == 2:
            scale = max(abs(v) for v in block) / 8 or 1.0
            q = [min(15, max(0, round(v / scale) + 8)) for v in block]
            out += struct.pack("<e", scale) + bytes(q[i] | q[i + 16] << 4 for i in range(16))
        else:
            low, high = min(block), max(block)
            scale = (high - low) / 15 or 1.0
            q = [min(15, max(0, round((v - low) / scale))) for v in block]
            out += struct.pack("<ee", scale, low) + bytes(q[i] | q[i + 16] << 4 for i in range(16))
    return out


def tensor(name, rows, columns, kind, seed_):
    values = [math.sin(seed_ * 7.1 + i * 0.37) * 0.5 for i in range(rows * columns)]
    if kind == 0:
        data = struct.pack(f"<{len(values)}f", *values)
    elif kind == 1:
        data = f16_bytes(values)
    else:
        data = quantize(kind, values)
    dims = [columns] if rows == 1 and name.endswith("norm.weight") else [columns, rows]
    return (name, dims, kind, data)


def tiny_llama():
    """A three-layer llama of width 32 (4 heads, 2 key-value heads), weights in every type the
    reader knows, with the small tokenizer."""
    metadata, vocab = tokenizer_metadata()
    width, heads, kv_heads, ff, layers = 32, 4, 2, 64, 3
    kv = width // heads * kv_heads
    metadata = [
        ("general.architecture", "str", "llama"),
        ("general.name", "str", "tiny"),
        ("llama.block_count", "u32", layers),
        ("llama.context_length", "u32", 1024),
        ("llama.embedding_length", "u32", width),
        ("llama.feed_forward_length", "u32", ff),
        ("llama.attention.head_count", "u32", heads),
        ("llama.attention.head_count_kv", "u32", kv_heads),
        ("llama.rope.freq_base", "f32", 10000.0),
        ("llama.attention.layer_norm_rms_epsilon", "f32", 1e-5),
    ] + metadata
    tensors = [tensor("token_embd.weight", vocab, width, 8, 1)]
    for layer in range(layers):
        p = f"blk.{layer}."
        tensors += [
            tensor(p + "attn_norm.weight", 1, width, 0, 2),
            tensor(p + "attn_q.weight", width, width, 8, 3),
            tensor(p + "attn_k.weight", kv, width, 2, 4),
            tensor(p + "attn_v.weight", kv, width, 3, 5),
            tensor(p + "attn_output.weight", width, width, 1, 6),
            tensor(p + "ffn_norm.weight", 1, width, 0, 7),
            tensor(p + "ffn_gate.weight", ff, width, 0, 8),
            tensor(p + "ffn_up.weight", ff, width, 8, 9),
            tensor(p + "ffn_down.weight", width, ff, 2, 10),
        ]
    tensors.append(tensor("output_norm.weight", 1, width, 0, 11))
    return gguf(metadata, tensors)


def gguf_seeds():
    model = tiny_llama()
    (FUZZ / "seeds" / "tiny-llama.gguf").write_bytes(model)
    seed("lm_gguf", "tiny-llama.gguf", model)
    metadata, _ = tokenizer_metadata()
    seed("lm_gguf", "tokenizer.gguf", gguf(metadata, []))
    seed("lm_gguf", "v2-aligned.gguf", gguf(
        [("general.alignment", "u32", 64), ("a", "arr", ("f64", [1.5, 2.5])), ("b", "u64", 7)],
        [("x", [4], 0, struct.pack("<4f", 1, 2, 3, 4)), ("y", [32, 2], 8, quantize(8, [0.1] * 64))],
        alignment=64, version=2))
    prefix = real_prefix("models/smollm2-135m.gguf")
    if prefix:
        seed("lm_gguf", "smollm2-prefix.gguf", prefix)
    for name, text in [
        ("plain", "Hello world, the king and the queen."),
        ("chat", "<|im_start|>system\nYou are helpful<|im_end|>\n<|im_start|>user\n1234 é 日本\n\n<|im_end|>"),
        ("unicode", "naïve café — 🦀 ﬁ \u0000 \t\r\n  trailing  "),
        ("digits", "3.14159 and 1,000,000 kings' queens'll"),
    ]:
        seed("lm_tokenizer", name, text)


# --- PyTorch checkpoints and pickles ------------------------------------------------------------


def fake_torch():
    """Enough of a `torch` module for pickle to name torch's globals as torch.save does."""
    torch = types.ModuleType("torch")
    utils = types.ModuleType("torch._utils")

    def _rebuild_tensor_v2(*args):
        raise NotImplementedError

    def _rebuild_parameter(*args):
        raise NotImplementedError

    for f in (_rebuild_tensor_v2, _rebuild_parameter):
        f.__module__ = "torch._utils"
        f.__qualname__ = f.__name__
        setattr(utils, f.__name__, f)
    for name in ("FloatStorage", "HalfStorage", "LongStorage", "DoubleStorage", "BFloat16Storage"):
        cls = type(name, (), {"__module__": "torch"})
        setattr(torch, name, cls)
    torch._utils = utils
    sys.modules["torch"] = torch
    sys.modules["torch._utils"] = utils
    return torch, utils


class Storage:
    def __init__(self, kind, key, numel):
        self.kind, self.key, self.numel = kind, key, numel


class Tensor:
    def __init__(self, storage, offset, shape, stride, parameter=False):
        self.storage, self.offset, self.shape, self.stride, self.parameter = storage, offset, shape, stride, parameter

    def __reduce__(self):
        _, utils = TORCH
        rebuilt = (utils._rebuild_tensor_v2,
                   (self.storage, self.offset, tuple(self.shape), tuple(self.stride), False, collections.OrderedDict()))
        if self.parameter:
            return (utils._rebuild_parameter, (Rebuilt(rebuilt), False, collections.OrderedDict()))
        return rebuilt


class Rebuilt:
    def __init__(self, reduced):
        self.reduced = reduced

    def __reduce__(self):
        return self.reduced


TORCH = fake_torch()


class TorchPickler(pickle.Pickler):
    def __init__(self, file, location):
        super().__init__(file, protocol=2)
        self.location = location

    def persistent_id(self, obj):
        if isinstance(obj, Storage):
            return ("storage", getattr(TORCH[0], obj.kind), obj.key, self.location, obj.numel)
        return None


def torch_pickle(obj, location="cpu"):
    buffer = io.BytesIO()
    TorchPickler(buffer, location).dump(obj)
    return buffer.getvalue()


def state_dict():
    """Two tensors over one float storage (one a strided view), a half tensor and a parameter."""
    floats = Storage("FloatStorage", "0", 12)
    halves = Storage("HalfStorage", "1", 4)
    longs = Storage("LongStorage", "2", 1)
    d = collections.OrderedDict()
    d["main.0.weight"] = Tensor(floats, 0, [2, 3], [3, 1])
    d["main.0.weight_t"] = Tensor(floats, 0, [3, 2], [1, 3])
    d["main.1.bias"] = Tensor(halves, 1, [3], [1], parameter=True)
    d["main.1.num_batches_tracked"] = Tensor(longs, 0, [], [])
    storages = {
        "0": struct.pack("<12f", *[i * 0.5 for i in range(12)]),
        "1": f16_bytes([1.0, -2.0, 0.5, 65504.0]),
        "2": struct.pack("<q", 7),
    }
    return d, storages


def torch_zip(wrap_key=None):
    d, storages = state_dict()
    top = collections.OrderedDict([(wrap_key, d), ("epoch", 3)]) if wrap_key else d
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as z:
        z.writestr("archive/data.pkl", torch_pickle(top))
        z.writestr("archive/version", "3\n")
        for key, data in storages.items():
            z.writestr(f"archive/data/{key}", data)
    return buffer.getvalue()


def torch_legacy():
    d, storages = state_dict()
    out = pickle.dumps(0x1950A86A20F9469CFC6C, protocol=2)
    out += pickle.dumps(1001, protocol=2)
    out += pickle.dumps({"protocol_version": 1001, "little_endian": True,
                         "type_sizes": {"short": 2, "int": 4, "long": 4}}, protocol=2)
    out += torch_pickle(d, "cuda:0")
    keys = sorted(storages)
    out += pickle.dumps(keys, protocol=2)
    sizes = {"0": 4, "1": 2, "2": 8}
    for key in keys:
        out += struct.pack("<Q", len(storages[key]) // sizes[key]) + storages[key]
    return out


def torch_seeds():
    seed("latent_torch", "state-dict.zip.pt", torch_zip())
    seed("latent_torch", "wrapped.zip.pt", torch_zip("netG_state_dict"))
    seed("latent_torch", "legacy.pt", torch_legacy())
    d, _ = state_dict()
    seed("latent_pickle", "state-dict.pkl", torch_pickle(d))
    seed("latent_pickle", "legacy-head.pkl", torch_legacy()[:400])
    seed("latent_pickle", "protocol4.pkl", pickle.dumps(
        {"a": [1, 2.5, None, True, b"xy", ("t", -(2**40))], "b": {"nested": ["x" * 300]}}, protocol=4))
    seed("latent_pickle", "protocol0.pkl", pickle.dumps({"a": [1, 2, (3, "s")], "f": 1.5}, protocol=0))
    prefix = real_prefix("models/face-dcgan-celeba.pt", 8192)
    if prefix:
        seed("latent_torch", "celeba-prefix.pt", prefix)
        seed("latent_pickle", "celeba-prefix.pkl", prefix[:2048])
    prefix = real_prefix("models/face-dcgan-digiface.tar", 2048)
    if prefix:
        seed("latent_torch", "digiface-prefix.pt", prefix)


# --- expressions and the HTTP API -----------------------------------------------------------------


def expr_seeds():
    for i, text in enumerate([
        "king - man + woman",
        "0.5*(happy - sad) + good",
        "slerp(king, queen, 0.3)",
        "mean(paris, france, -berlin) / 2",
        'norm("u.s." - \'\\\'s\') * -1e-3',
        "proj(king, @gender) + reject(queen, @gender) - scale(man, @gender, 2)",
        "cos(king, queen) * dot(man, woman) + len(x)",
        "lerp(seed:12, new_york, -0.5) - ((((a))))",
        "café + naïve + 日本 + \"the\"",
        "@zero + @short + @missing + unknownword",
    ]):
        seed("core_expr", f"expr{i}", text)


def server_seeds():
    bodies = [
        (1, {"expression": "king - man + woman", "k": 5}),
        (1, {"expression": "happy", "k": 3, "space": "other", "include_inputs": True}),
        (2, {"a": "man", "b": "king", "c": "woman", "k": 3, "method": "cosmul"}),
        (3, {"a": "king", "b": "queen - man"}),
        (4, {"words": ["king", "queen", "man", "woman"]}),
        (4, {"words": ["king", "queen", "boy"], "axes": ["man - woman", "king - boy"], "space": "other"}),
        (6, {"name": "gender", "pairs": [["man", "woman"], ["king", "queen"]], "method": "mean-diff"}),
        (7, {"direction": "gender", "words": ["boy", "girl", "cat"]}),
        (8, {"kind": "analogies", "set": "google-analogies", "method": "add", "restrict_vocab": 100}),
        (11, {"latents": ["seed:1", "seed:2 + 0.5*seed:3"], "columns": 2, "scale": 1}),
        (12, {"latent": "seed:1", "positive": [1, 2], "negative": [3], "strengths": [-1, 0, 1]}),
        (13, {"from": "seed:1", "to": "seed:2", "steps": 3, "method": "slerp"}),
        (14, {"positive": "I love this", "negative": "I hate this"}),
        (15, {"prompt": "hello world", "max_tokens": 4, "chat": True, "temperature": 0.7, "seed": 3}),
        (15, {"prompt": "the king", "max_tokens": 3, "steer": [{"vector": "v1", "coefficient": 4.0}],
              "layers": [1, 2], "generated_only": True, "top_p": 0.9}),
    ]
    for i, (route, body) in enumerate(bodies):
        seed("server_api", f"post{i:02}", bytes([route, 0]) + json.dumps(body).encode())
    for route in (0, 5, 10, 16, 17):
        seed("server_api", f"get{route:02}", bytes([route, 1]))
    seed("server_api", "job-status", bytes([9, 0]) + b"1")
    seed("server_api", "path", bytes([18, 0]) + b"/api/nothing?x=1")
    seed("server_api", "preflight", bytes([1, 3]) + b"{}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cli", help="the vecspace binary, for the .vsp and word2vec binary seeds")
    args = parser.parse_args()
    cli = args.cli
    if cli is None:
        for candidate in (REPO / "target/release/vecspace", REPO / "target/debug/vecspace"):
            if candidate.is_file():
                cli = str(candidate)
                break
    formats_seeds(cli)
    fasttext_seeds(cli)
    gguf_seeds()
    torch_seeds()
    expr_seeds()
    server_seeds()
    for target, size in sorted(written.items()):
        print(f"{target:28} {size:8} bytes")
    print(f"{'total':28} {sum(written.values()):8} bytes")


if __name__ == "__main__":
    main()

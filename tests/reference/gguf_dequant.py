"""Golden dequantisation for every tensor type vecspace reads, made by the `gguf` package (PyPI).

Writes tests/golden/quant-types.gguf, which the quantisation tests read with vecspace's own GGUF
reader:

* for each type, a tensor `<TYPE>` of 4 rows × 512 values whose blocks are random bytes (with
  plausible f16 scales put where the format keeps them), and a float32 tensor `<TYPE>.expected`
  holding `gguf.quants.dequantize` of it;
* for real models given on the command line, rows 0, 1, the middle one and the last of a few
  tensors of each type the file uses (`<tag>/<tensor>`, float32, as `gguf` dequantises them), and
  the float64 sum and sum of squares of the whole dequantised tensor
  (`<tag>/<tensor>.sum`, `.sum_of_squares`), so that every block of the real tensors is checked.

    /tmp/venv/bin/python tests/reference/gguf_dequant.py tests/golden/quant-types.gguf \\
        gemma3=GEMMA.gguf smollm2=SMOLLM2.gguf
"""
import sys

import numpy as np
from gguf import GGMLQuantizationType as T
from gguf import GGUFReader, GGUFWriter
from gguf.quants import dequantize

ROWS, COLUMNS = 4, 512

# (type, bytes per block, values per block, where the f16 scales sit)
FORMATS = [
    (T.Q4_0, 18, 32, [0]),
    (T.Q4_1, 20, 32, [0, 2]),
    (T.Q5_0, 22, 32, [0]),
    (T.Q5_1, 24, 32, [0, 2]),
    (T.Q8_0, 34, 32, [0]),
    (T.Q3_K, 110, 256, [108]),
    (T.Q4_K, 144, 256, [0, 2]),
    (T.Q5_K, 176, 256, [0, 2]),
    (T.Q6_K, 210, 256, [208]),
]

# Real tensors to check, by file tag: those of each type the file holds.
REAL = {
    "gemma3": [
        "token_embd.weight",  # Q8_0
        "blk.0.attn_q.weight",  # Q5_0
        "blk.0.attn_output.weight",  # Q4_K
        "blk.0.ffn_down.weight",  # Q6_K
        "blk.17.ffn_down.weight",
    ],
    "smollm2": ["token_embd.weight", "blk.0.attn_q.weight", "blk.29.ffn_down.weight"],
}


def synthetic(rng, qtype, block_bytes, block_values, scale_at):
    blocks = ROWS * COLUMNS // block_values
    data = rng.integers(0, 256, size=(blocks, block_bytes), dtype=np.uint8)
    for b in range(blocks):
        for i, at in enumerate(scale_at):
            value = rng.uniform(0.002, 0.05) * (1 if i == 0 else -0.5)
            data[b, at:at + 2] = np.frombuffer(np.float16(value).tobytes(), dtype=np.uint8)
    return data.reshape(ROWS, -1)


def main(out_path, models):
    rng = np.random.default_rng(20261129)
    writer = GGUFWriter(out_path, "quant-golden")
    for qtype, block_bytes, block_values, scale_at in FORMATS:
        data = synthetic(rng, qtype, block_bytes, block_values, scale_at)
        writer.add_tensor(qtype.name, data, raw_dtype=qtype)
        writer.add_tensor(qtype.name + ".expected", dequantize(data, qtype).astype(np.float32))
    floats = rng.normal(0, 1, size=(ROWS, COLUMNS)).astype(np.float32)
    writer.add_tensor("F16", floats.astype(np.float16).view(np.uint8), raw_dtype=T.F16)
    writer.add_tensor("F16.expected", floats.astype(np.float16).astype(np.float32))
    bf16 = (floats.view(np.uint32) >> 16).astype(np.uint16)
    writer.add_tensor("BF16", bf16.view(np.uint8), raw_dtype=T.BF16)
    writer.add_tensor("BF16.expected", dequantize(bf16.view(np.uint8), T.BF16).astype(np.float32))

    for tag, path in models:
        reader = GGUFReader(path)
        by_name = {t.name: t for t in reader.tensors}
        for name in REAL[tag]:
            t = by_name[name]
            values = dequantize(t.data, t.tensor_type).reshape(int(t.shape[1]), int(t.shape[0]))
            rows = sorted({0, 1, len(values) // 2, len(values) - 1})
            writer.add_tensor(f"{tag}/{name}", values[rows].astype(np.float32))
            writer.add_array(f"{tag}/{name}.rows", rows)
            wide = values.astype(np.float64)
            writer.add_float64(f"{tag}/{name}.sum", float(wide.sum()))
            writer.add_float64(f"{tag}/{name}.sum_of_squares", float((wide * wide).sum()))
            writer.add_string(f"{tag}/{name}.type", t.tensor_type.name)
            print(tag, name, t.tensor_type.name, values.shape, float(wide.sum()))

    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


if __name__ == "__main__":
    main(sys.argv[1], [arg.split("=", 1) for arg in sys.argv[2:]])

"""Small random-weight models of each architecture vecspace runs, and their NumPy logits.

No small real file of every architecture can be fetched, so this writes one per architecture with
the `gguf` package — the real tensor names, metadata keys and layouts, tiny shapes, random weights
stored in a mix of the tensor types real files use — and runs a float64 forward pass over a fixed
token sequence, written here from each architecture's description:

* llama (Llama 3): RMS norm, rotary embedding on adjacent pairs divided by the per-frequency
  factors of `rope_freqs.weight`, grouped-query attention, SwiGLU, an untied output matrix;
* qwen2: as llama with biases on the query, key and value projections and half-split rope pairs;
* qwen3: as qwen2 without biases, with per-head RMS norms of queries and keys, and a head size
  (key_length) that is not width / heads;
* gemma3: embeddings times sqrt(width), QK-norm, norms after attention and MLP, GELU (tanh) gating,
  sliding-window layers (5 of every 6) with rope base 10 000 beside global ones.

Writes tests/golden/tiny-<arch>.gguf and tests/golden/tiny-<arch>-logits.npy, float32 of shape
(2, positions, vocabulary): the logits of the exact forward pass, then those of the same pass with
the input of every product with a quantised matrix first rounded to 8 bits as ggml (and vecspace's fast
products) round it: per block of 32 with the step max|x|/127 stored as f16 for the 32-value
formats, per super-block of 256 with an f32 step for the K-quants — and with queries, keys and
values rounded to f16, as ggml's f16 key-value cache holds them. Random weights amplify that rounding far more
than trained ones, so the fast path is checked against the second, the exact path against the
first.

    /tmp/venv/bin/python tests/reference/tiny_models.py tests/golden
"""
import os
import sys

import numpy as np
from gguf import GGMLQuantizationType as T
from gguf import GGUFWriter
from gguf.quants import dequantize, quantize

TOKENS = [1, 17, 200, 42, 42, 5, 255, 128, 64, 9, 250, 3]
VOCAB = 256
WIDTH = 64
EPS = 1e-6

# (arch, layers, heads, kv_heads, head_dim, feed_forward, rope_base, types by tensor part)
MODELS = {
    "llama": dict(layers=2, heads=4, kv_heads=2, head_dim=16, ff=256, base=500000.0,
                  types=dict(embd=T.Q8_0, q=T.Q4_0, k=T.Q4_0, v=T.Q4_1, o=T.Q5_1, gate=T.Q4_1, up=T.F16,
                             down=T.Q3_K, out=T.Q8_0)),
    "qwen2": dict(layers=2, heads=4, kv_heads=2, head_dim=16, ff=256, base=1000000.0,
                  types=dict(embd=T.F16, q=T.Q5_0, k=T.Q5_0, v=T.Q8_0, o=T.Q8_0, gate=T.Q5_1, up=T.Q5_0,
                             down=T.Q5_K, out=T.BF16)),
    "qwen3": dict(layers=2, heads=4, kv_heads=2, head_dim=32, ff=256, base=1000000.0,
                  types=dict(embd=T.Q8_0, q=T.BF16, k=T.Q8_0, v=T.Q8_0, o=T.Q8_0, gate=T.Q4_0, up=T.Q4_0,
                             down=T.Q4_K, out=None)),
    "gemma3": dict(layers=7, heads=4, kv_heads=1, head_dim=64, ff=256, base=1000000.0, window=4,
                   types=dict(embd=T.Q8_0, q=T.Q5_0, k=T.Q5_0, v=T.Q8_0, o=T.Q4_K, gate=T.Q5_0, up=T.Q5_0,
                              down=T.Q6_K, out=None)),
}

K_QUANTS = {T.Q3_K: (110, [108]), T.Q4_K: (144, [0, 2]), T.Q5_K: (176, [0, 2]), T.Q6_K: (210, [208])}


def store(rng, values, qtype):
    """(bytes or float array to write, the float64 values the model really has)."""
    if qtype == T.F32:
        return values.astype(np.float32), values.astype(np.float32).astype(np.float64)
    if qtype in K_QUANTS:
        # The gguf package cannot quantise K-quants: random blocks with plausible scales.
        block_bytes, scale_at = K_QUANTS[qtype]
        rows, columns = values.shape
        blocks = rng.integers(0, 256, size=(rows * columns // 256, block_bytes), dtype=np.uint8)
        for b in range(len(blocks)):
            for i, at in enumerate(scale_at):
                scale = 0.0015 if i == 0 else -0.0008
                blocks[b, at:at + 2] = np.frombuffer(np.float16(scale).tobytes(), dtype=np.uint8)
        data = blocks.reshape(rows, -1)
    else:
        data = quantize(values.astype(np.float32), qtype)
    return data, dequantize(data, qtype).astype(np.float64).reshape(values.shape)


def build(arch, spec, out_dir, rng):
    layers, heads, kv_heads, head_dim, ff = (spec[k] for k in ("layers", "heads", "kv_heads", "head_dim", "ff"))
    types = spec["types"]
    writer = GGUFWriter(os.path.join(out_dir, f"tiny-{arch}.gguf"), arch)
    writer.add_context_length(64)
    writer.add_embedding_length(WIDTH)
    writer.add_block_count(layers)
    writer.add_feed_forward_length(ff)
    writer.add_head_count(heads)
    writer.add_head_count_kv(kv_heads)
    writer.add_layer_norm_rms_eps(EPS)
    writer.add_rope_freq_base(spec["base"])
    if arch in ("qwen3", "gemma3"):
        writer.add_key_length(head_dim)
        writer.add_value_length(head_dim)
    if arch == "gemma3":
        writer.add_sliding_window(spec["window"])
    weights = {}
    quantized = {}  # name: whether its rows are K-quants

    def tensor(name, shape, qtype, scale):
        values = rng.normal(0, scale, size=shape)
        data, real = store(rng, values, qtype)
        writer.add_tensor(name, data, raw_dtype=qtype)
        weights[name] = real
        if qtype in (T.Q4_1, T.Q5_1):
            # Each block's offset m: the f16 after its scale.
            block_bytes = 20 if qtype == T.Q4_1 else 24
            blocks = data.reshape(-1, block_bytes)
            offsets = blocks[:, 2:4].copy().view(np.float16).astype(np.float64)
            weights[name + ".offsets"] = offsets.reshape(shape[0], shape[1] // 32)
        if qtype not in (T.F32, T.F16, T.BF16):
            quantized[name] = qtype in K_QUANTS

    q_width, kv_width = heads * head_dim, kv_heads * head_dim
    # Gemma multiplies embeddings by sqrt(width): smaller ones keep the blocks' part visible.
    tensor("token_embd.weight", (VOCAB, WIDTH), types["embd"], 0.06 if arch == "gemma3" else 0.5)
    for layer in range(layers):
        p = f"blk.{layer}."
        norms = [("attn_norm", WIDTH), ("ffn_norm", WIDTH)]
        if arch in ("qwen3", "gemma3"):
            norms += [("attn_q_norm", head_dim), ("attn_k_norm", head_dim)]
        if arch == "gemma3":
            norms += [("post_attention_norm", WIDTH), ("post_ffw_norm", WIDTH)]
        for part, size in norms:
            values = 1.0 + rng.normal(0, 0.1, size=size)
            writer.add_tensor(p + part + ".weight", values.astype(np.float32))
            weights[p + part + ".weight"] = values.astype(np.float32).astype(np.float64)
        tensor(p + "attn_q.weight", (q_width, WIDTH), types["q"], 0.2)
        tensor(p + "attn_k.weight", (kv_width, WIDTH), types["k"], 0.2)
        tensor(p + "attn_v.weight", (kv_width, WIDTH), types["v"], 0.2)
        if arch == "qwen2":
            for part, size in (("attn_q", q_width), ("attn_k", kv_width), ("attn_v", kv_width)):
                values = rng.normal(0, 0.3, size=size).astype(np.float32)
                writer.add_tensor(p + part + ".bias", values)
                weights[p + part + ".bias"] = values.astype(np.float64)
        tensor(p + "attn_output.weight", (WIDTH, q_width), types["o"], 0.2)
        tensor(p + "ffn_gate.weight", (ff, WIDTH), types["gate"], 0.2)
        tensor(p + "ffn_up.weight", (ff, WIDTH), types["up"], 0.2)
        tensor(p + "ffn_down.weight", (WIDTH, ff), types["down"], 0.1)
    values = 1.0 + rng.normal(0, 0.1, size=WIDTH)
    writer.add_tensor("output_norm.weight", values.astype(np.float32))
    weights["output_norm.weight"] = values.astype(np.float32).astype(np.float64)
    if types["out"] is not None:
        tensor("output.weight", (VOCAB, WIDTH), types["out"], 0.3)
    if arch == "llama":
        factors = np.linspace(1.0, 8.0, head_dim // 2).astype(np.float32)
        writer.add_tensor("rope_freqs.weight", factors)
        weights["rope_freqs.weight"] = factors.astype(np.float64)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return weights, quantized


def round_to_8_bits(x, super_blocks):
    """x as ggml's Q8_0 (blocks of 32, f16 step) or Q8_K (super-blocks of 256, f32 step) holds it,
    computed in float32 as ggml computes it."""
    x32 = x.astype(np.float32)
    if super_blocks:
        blocks = x32.reshape(-1, 256)
        at = np.abs(blocks).argmax(axis=1)[:, None]
        peak = np.take_along_axis(blocks, at, axis=1)
        inverse = np.where(peak != 0, np.float32(-127) / np.where(peak != 0, peak, 1), 0).astype(np.float32)
        q = np.minimum(np.rint(blocks * inverse), 127)
        d = np.where(inverse != 0, np.float32(1) / np.where(inverse != 0, inverse, 1), 0).astype(np.float32)
        return (q.astype(np.float64) * d.astype(np.float64)).reshape(x.shape), None
    blocks = x32.reshape(-1, 32)
    peak = np.abs(blocks).max(axis=1, keepdims=True)
    inverse = np.where(peak > 0, np.float32(127) / np.where(peak > 0, peak, 1), 0).astype(np.float32)
    q = np.rint(blocks * inverse)
    d32 = (peak / np.float32(127)).astype(np.float32)
    d = d32.astype(np.float16).astype(np.float64)
    # Q8_1 also keeps each block's d·Σq as f16: the formats with an offset multiply it by theirs.
    sums = (d32 * q.sum(axis=1, keepdims=True).astype(np.float32)).astype(np.float16).astype(np.float64)
    return (q.astype(np.float64) * d).reshape(x.shape), sums.reshape(x.shape[:-1] + (-1,))


def forward(arch, spec, w, tokens, quantized={}):
    """Logits per position; inputs to the products with the matrices named in `quantized` are
    rounded to 8 bits first (per super-block where the value is true)."""
    layers, heads, kv_heads, head_dim = (spec[k] for k in ("layers", "heads", "kv_heads", "head_dim"))
    group = heads // kv_heads
    n = len(tokens)

    def product(x, name):
        if name not in quantized:
            return x @ w[name].T
        rounded, sums = round_to_8_bits(x, quantized[name])
        offsets = w.get(name + ".offsets")
        if offsets is None:
            return rounded @ w[name].T
        # w = scaled part + the block's offset m: Σ w·x = Σ scaled·x̃ + Σ_blocks m · (d·Σq).
        scaled = w[name] - np.repeat(offsets, 32, axis=1)
        return rounded @ scaled.T + sums @ offsets.T

    def norm(x, gain):
        return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + EPS) * gain

    def rope(x, n_heads, base, factors=None):
        freqs = base ** (-np.arange(0, head_dim, 2) / head_dim)
        if factors is not None:
            freqs = freqs / factors
        angles = np.arange(n)[:, None] * freqs[None, :]
        cos, sin = np.cos(angles)[:, None, :], np.sin(angles)[:, None, :]
        x = x.reshape(n, n_heads, head_dim)
        if arch == "llama":
            a, b = x[..., 0::2], x[..., 1::2]
            out = np.empty_like(x)
            out[..., 0::2], out[..., 1::2] = a * cos - b * sin, a * sin + b * cos
            return out.reshape(n, -1)
        a, b = x[..., :head_dim // 2], x[..., head_dim // 2:]
        return np.concatenate([a * cos - b * sin, a * sin + b * cos], axis=-1).reshape(n, -1)

    x = w["token_embd.weight"][tokens]
    if arch == "gemma3":
        x = x * np.sqrt(WIDTH)
    causal = np.triu(np.full((n, n), -np.inf), 1)
    distance = np.arange(n)[:, None] - np.arange(n)[None, :]
    for layer in range(layers):
        p = lambda part: w[f"blk.{layer}.{part}.weight"]
        sliding = arch == "gemma3" and layer % 6 < 5
        mask = np.where(distance >= spec["window"], -np.inf, causal) if sliding else causal
        base = 10000.0 if sliding else spec["base"]
        h = norm(x, p("attn_norm"))
        name = lambda part: f"blk.{layer}.{part}.weight"
        q, k, v = product(h, name("attn_q")), product(h, name("attn_k")), product(h, name("attn_v"))
        if arch == "qwen2":
            q, k, v = (q + w[f"blk.{layer}.attn_q.bias"], k + w[f"blk.{layer}.attn_k.bias"],
                       v + w[f"blk.{layer}.attn_v.bias"])
        if arch in ("qwen3", "gemma3"):
            q = norm(q.reshape(n, heads, head_dim), p("attn_q_norm")).reshape(n, -1)
            k = norm(k.reshape(n, kv_heads, head_dim), p("attn_k_norm")).reshape(n, -1)
        factors = w.get("rope_freqs.weight")
        q, k = rope(q, heads, base, factors), rope(k, kv_heads, base, factors)
        if quantized:
            # ggml's f16 key-value cache, and queries multiplied with it in f16.
            q, k, v = (a.astype(np.float16).astype(np.float64) for a in (q, k, v))
        out = np.zeros_like(q)
        for head in range(heads):
            kv = head // group
            qh = q[:, head * head_dim:(head + 1) * head_dim]
            kh = k[:, kv * head_dim:(kv + 1) * head_dim]
            vh = v[:, kv * head_dim:(kv + 1) * head_dim]
            scores = qh @ kh.T / np.sqrt(head_dim) + mask
            scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
            scores /= scores.sum(axis=-1, keepdims=True)
            out[:, head * head_dim:(head + 1) * head_dim] = scores @ vh
        attended = product(out, name("attn_output"))
        x = x + (norm(attended, p("post_attention_norm")) if arch == "gemma3" else attended)
        h = norm(x, p("ffn_norm"))
        gate, up = product(h, name("ffn_gate")), product(h, name("ffn_up"))
        if arch == "gemma3":
            act = 0.5 * gate * (1 + np.tanh(np.sqrt(2 / np.pi) * (gate + 0.044715 * gate ** 3)))
        else:
            act = gate / (1 + np.exp(-gate))
        down = product(act * up, name("ffn_down"))
        x = x + (norm(down, p("post_ffw_norm")) if arch == "gemma3" else down)
    return product(norm(x, w["output_norm.weight"]), "output.weight" if "output.weight" in w else "token_embd.weight")


def main(out_dir):
    rng = np.random.default_rng(15)
    for arch, spec in MODELS.items():
        weights, quantized = build(arch, spec, out_dir, rng)
        logits = forward(arch, spec, weights, TOKENS)
        rounded = forward(arch, spec, weights, TOKENS, quantized)
        both = np.stack([logits, rounded]).astype(np.float32)
        np.save(os.path.join(out_dir, f"tiny-{arch}-logits.npy"), both)
        print(arch, "8-bit inputs move logits by up to", float(np.abs(rounded - logits).max()))
        print(arch, "greedy after each position:", logits.argmax(axis=-1).tolist(),
              "logit range", float(logits.min()), float(logits.max()))


if __name__ == "__main__":
    main(sys.argv[1])

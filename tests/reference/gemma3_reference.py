"""NumPy reference forward pass of Gemma 3 270M (gemma3 architecture) for the language-model tests.

Reads the GGUF with the `gguf` package (PyPI), dequantises every tensor with `gguf.quants`, and runs
a prompt through the model in float64, written from the architecture's description, not from
vecspace's code:

* token embedding times sqrt(width);
* per block: RMS norm (gains as stored: the converter has already added Gemma's 1), query, key and
  value projections, per-head RMS norm of queries and keys, rotary embedding on half-split pairs
  (i, i + head_dim/2) with base 10 000 on sliding-window layers and the file's rope base (1e6) on
  global ones (every sixth layer: 5, 11, 17), causal attention scaled by 1/sqrt(head_dim) and
  limited to the last `sliding_window` positions on sliding layers, one key-value head shared by
  all query heads, output projection, RMS norm of the attention output, residual; then RMS norm,
  GELU (tanh form) of the gate times the up projection, down projection, RMS norm, residual;
* final RMS norm and the tied output projection.

Writes the last position's logits as a float32 .npy of shape (262144,) and prints the greedy
continuation of 8 tokens.

    /tmp/venv/bin/python tests/reference/gemma3_reference.py MODEL.gguf tests/golden/gemma3-logits.npy
"""
import sys

import numpy as np
from gguf import GGUFReader
from gguf.quants import dequantize

# "The chemical symbol for gold is" after BOS, as the file asks (tests/golden/gemma3-tokens.json).
PROMPT = [2, 818, 7395, 5404, 573, 5122, 563]
GLOBAL_EVERY = 6
LOCAL_ROPE_BASE = 10_000.0


def main(model_path, out_path):
    reader = GGUFReader(model_path)
    field = lambda key: reader.fields[key].contents()
    tensors = {}
    for t in reader.tensors:
        values = dequantize(t.data, t.tensor_type).astype(np.float64)
        # gguf lists dimensions innermost first; NumPy wants them outermost first.
        tensors[t.name] = values.reshape([int(d) for d in reversed(t.shape)])
    layers = int(field("gemma3.block_count"))
    heads = int(field("gemma3.attention.head_count"))
    kv_heads = int(field("gemma3.attention.head_count_kv"))
    width = int(field("gemma3.embedding_length"))
    head_dim = int(field("gemma3.attention.key_length"))
    base = float(field("gemma3.rope.freq_base"))
    window = int(field("gemma3.attention.sliding_window"))
    eps = float(field("gemma3.attention.layer_norm_rms_epsilon"))
    group = heads // kv_heads

    def norm(x, gain):
        return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps) * gain

    def rope(x, n_heads, rope_base):
        positions = np.arange(x.shape[0])[:, None]
        freqs = rope_base ** (-np.arange(0, head_dim, 2) / head_dim)
        angles = positions * freqs[None, :]
        cos, sin = np.cos(angles)[:, None, :], np.sin(angles)[:, None, :]
        x = x.reshape(x.shape[0], n_heads, head_dim)
        a, b = x[..., :head_dim // 2], x[..., head_dim // 2:]
        return np.concatenate([a * cos - b * sin, a * sin + b * cos], axis=-1).reshape(x.shape[0], -1)

    def gelu(x):
        return 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3)))

    def forward(tokens):
        x = tensors["token_embd.weight"][tokens] * np.sqrt(width)
        n = len(tokens)
        causal = np.triu(np.full((n, n), -np.inf), 1)
        distance = np.arange(n)[:, None] - np.arange(n)[None, :]
        sliding = np.where(distance >= window, -np.inf, causal)
        for layer in range(layers):
            w = lambda part: tensors[f"blk.{layer}.{part}.weight"]
            is_global = layer % GLOBAL_EVERY == GLOBAL_EVERY - 1
            rope_base = base if is_global else LOCAL_ROPE_BASE
            mask = causal if is_global else sliding
            h = norm(x, w("attn_norm"))
            q = norm((h @ w("attn_q").T).reshape(n, heads, head_dim), w("attn_q_norm")).reshape(n, -1)
            k = norm((h @ w("attn_k").T).reshape(n, kv_heads, head_dim), w("attn_k_norm")).reshape(n, -1)
            q, k = rope(q, heads, rope_base), rope(k, kv_heads, rope_base)
            v = h @ w("attn_v").T
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
            x = x + norm(out @ w("attn_output").T, w("post_attention_norm"))
            h = norm(x, w("ffn_norm"))
            gate, up = h @ w("ffn_gate").T, h @ w("ffn_up").T
            x = x + norm((gelu(gate) * up) @ w("ffn_down").T, w("post_ffw_norm"))
        return norm(x, tensors["output_norm.weight"]) @ tensors["token_embd.weight"].T

    logits = forward(PROMPT)[-1]
    np.save(out_path, logits.astype(np.float32))
    tokens = list(PROMPT)
    for _ in range(8):
        tokens.append(int(np.argmax(forward(tokens)[-1])))
    print("greedy continuation ids:", tokens[len(PROMPT):])
    top = np.argsort(-logits)[:5]
    print("top logits:", [(int(i), float(logits[i])) for i in top])


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])

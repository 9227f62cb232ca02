"""NumPy reference forward pass of SmolLM2-135M (llama architecture) for the language-model tests.

Reads the GGUF with the `gguf` package (PyPI), dequantises every tensor with `gguf.quants`, and runs
the prompt `The capital of France is` (token ids 504 3575 282 4649 314, no BOS) through the model in
float64: RMS norm with gain, rotary embedding on adjacent pairs (GGUF's llama layout), grouped-query
causal attention, SwiGLU feed-forward, tied output projection. Writes the last position's logits as
a float32 .npy of shape (49152,), and prints the greedy continuation of 8 tokens.

    /tmp/venv/bin/python tests/reference/smollm2_reference.py MODEL.gguf tests/golden/smollm2-logits.npy
"""
import sys

import numpy as np
from gguf import GGUFReader
from gguf.quants import dequantize

PROMPT = [504, 3575, 282, 4649, 314]


def main(model_path, out_path):
    reader = GGUFReader(model_path)
    field = lambda key: reader.fields[key].contents()
    tensors = {}
    for t in reader.tensors:
        values = dequantize(t.data, t.tensor_type).astype(np.float64)
        # gguf lists dimensions innermost first; NumPy wants them outermost first.
        tensors[t.name] = values.reshape([int(d) for d in reversed(t.shape)])
    layers = int(field("llama.block_count"))
    heads = int(field("llama.attention.head_count"))
    kv_heads = int(field("llama.attention.head_count_kv"))
    width = int(field("llama.embedding_length"))
    base = float(field("llama.rope.freq_base"))
    eps = float(field("llama.attention.layer_norm_rms_epsilon"))
    head_dim = width // heads
    group = heads // kv_heads

    def norm(x, gain):
        return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps) * gain

    def rope(x, n_heads):
        # x: (positions, n_heads * head_dim); rotate pairs (2i, 2i+1) by position * base^(-2i/d).
        positions = np.arange(x.shape[0])[:, None]
        freqs = base ** (-np.arange(0, head_dim, 2) / head_dim)
        angles = positions * freqs[None, :]
        cos, sin = np.cos(angles)[:, None, :], np.sin(angles)[:, None, :]
        x = x.reshape(x.shape[0], n_heads, head_dim // 2, 2)
        a, b = x[..., 0], x[..., 1]
        out = np.stack([a * cos - b * sin, a * sin + b * cos], axis=-1)
        return out.reshape(x.shape[0], n_heads * head_dim)

    def forward(tokens):
        x = tensors["token_embd.weight"][tokens]
        n = len(tokens)
        mask = np.triu(np.full((n, n), -np.inf), 1)
        for layer in range(layers):
            w = lambda part: tensors[f"blk.{layer}.{part}.weight"]
            h = norm(x, w("attn_norm"))
            q = rope(h @ w("attn_q").T, heads)
            k = rope(h @ w("attn_k").T, kv_heads)
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
            x = x + out @ w("attn_output").T
            h = norm(x, w("ffn_norm"))
            gate, up = h @ w("ffn_gate").T, h @ w("ffn_up").T
            x = x + (gate / (1 + np.exp(-gate)) * up) @ w("ffn_down").T
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

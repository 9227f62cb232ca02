"""faiss IndexHNSWFlat on the rows, queries and exact answers that the `hnsw_build` example
exported: the same parameters (M 16, efConstruction 100, inner product on unit rows), build time,
then recall@10 and time per query (1 thread) over efSearch.

    python3 bench/hnsw_faiss.py DIR        # faiss-cpu 1.15.1 from PyPI
"""

import sys
import time

import faiss
import numpy as np

directory = sys.argv[1]
rows = np.load(f"{directory}/rows.npy")
queries = np.ascontiguousarray(np.load(f"{directory}/queries.npy"))
exclude = np.load(f"{directory}/exclude.npy").astype(np.int64)
truth = np.load(f"{directory}/truth.npy").astype(np.int64)

index = faiss.IndexHNSWFlat(rows.shape[1], 16, faiss.METRIC_INNER_PRODUCT)
index.hnsw.efConstruction = 100
started = time.perf_counter()
index.add(rows)
print(f"faiss {faiss.__version__} IndexHNSWFlat build (M 16, efConstruction 100), "
      f"{faiss.omp_get_max_threads()} threads: {time.perf_counter() - started:.1f} s")
print("| ef | recall@10 | ms per query (1 thread) |\n|---|---|---|")
faiss.omp_set_num_threads(1)
for ef in [16, 32, 64, 128, 256]:
    index.hnsw.efSearch = ef
    found = 0
    started = time.perf_counter()
    for i in range(len(queries)):
        # As vecspace's search: the query's own words are not answers; faiss cannot exclude
        # them, so it is asked for three more and they are dropped.
        _, ids = index.search(queries[i : i + 1], 13)
        kept = [r for r in ids[0] if r >= 0 and r not in exclude[i]][:10]
        found += len(set(kept) & set(truth[i]))
    seconds = time.perf_counter() - started
    print(f"| {ef} | {found / truth.size:.4f} | {seconds * 1e3 / len(queries):.3f} |")

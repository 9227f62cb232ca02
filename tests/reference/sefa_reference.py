"""SeFa (Shen & Zhou 2021) on the two registered DCGAN face generators, with NumPy's eigh, for
the latent tests: the top 10 eigenvalues and unit eigenvectors of AᵀA, where row i of the first
transposed convolution's weight (100 × 512 × 4 × 4, flattened to 100 × 8192) is what latent
coordinate i adds to the first layer's output. Each eigenvector is signed so that its
largest-magnitude coefficient is positive, as vecspace signs them. Reads the checkpoints without
torch (tests/reference/dcgan_reference.py).

    /tmp/vs-ref/bin/python tests/reference/sefa_reference.py WEIGHTS_TAR LEGACY_PT tests/golden/sefa.json
"""
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from dcgan_reference import CELEBA_LAYERS, DIGIFACE_LAYERS, read_digiface, read_legacy  # noqa: E402

TOP = 10


def sefa(weights, first_layer):
    a = weights[first_layer + ".weight"].reshape(100, -1)
    values, vectors = np.linalg.eigh(a @ a.T)
    order = np.argsort(values)[::-1][:TOP]
    out = []
    for k in order:
        v = vectors[:, k]
        if v[np.argmax(np.abs(v))] < 0:
            v = -v
        out.append(v.tolist())
    return {"values": values[order].tolist(), "vectors": out, "trace": float(np.trace(a @ a.T))}


golden = {
    "face-dcgan-digiface": sefa(read_digiface(sys.argv[1]), DIGIFACE_LAYERS[0][0]),
    "face-dcgan-celeba": sefa(read_legacy(sys.argv[2]), CELEBA_LAYERS[0][0]),
}
with open(sys.argv[3], "w") as f:
    json.dump(golden, f, indent=1)

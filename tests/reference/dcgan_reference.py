"""NumPy reference forward pass of the two registered DCGAN face generators, for the latent tests.

Reads each checkpoint without torch (zip format: data.pkl + data/<key>; legacy format: pickles
followed by the storages), draws the latents of seed:0, seed:1 and seed:42 with vecspace's
generator (SplitMix64 + Box–Muller, crates/latent/src/seeds.rs), and runs the generator in float64
with transposed convolutions written out plainly. Writes a (6, 12288) float32 .npy: rows are
digiface seeds 0, 1, 42 then celeba seeds 0, 1, 42; each row is one 3×64×64 image in [-1, 1].

    /tmp/vs-ref/bin/python tests/reference/dcgan_reference.py WEIGHTS_TAR LEGACY_PT tests/golden/dcgan-faces.npy
"""
import collections
import io
import math
import pickle
import struct
import sys
import zipfile

import numpy as np

SEEDS = [0, 1, 42]
MASK = (1 << 64) - 1


def seed_latent(seed, dims=100):
    state = seed
    values = []

    def draw():
        nonlocal state
        state = (state + 0x9E3779B97F4A7C15) & MASK
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)

    while len(values) < dims:
        u1 = ((draw() >> 11) + 1) / 2.0**53
        u2 = (draw() >> 11) / 2.0**53
        radius = math.sqrt(-2.0 * math.log(u1))
        values += [np.float32(radius * math.cos(2 * math.pi * u2)), np.float32(radius * math.sin(2 * math.pi * u2))]
    return np.array(values[:dims], dtype=np.float32)


def rebuild(storage, offset, size, stride, *rest):
    return ("tensor", storage, offset, tuple(size), tuple(stride))


class Unpickler(pickle.Unpickler):
    def find_class(self, module, name):
        if name == "OrderedDict":
            return collections.OrderedDict
        if name.startswith("_rebuild_tensor"):
            return rebuild
        return name

    def persistent_load(self, pid):
        return pid


SIZES = {"FloatStorage": (4, "<f4"), "LongStorage": (8, "<i8")}


def tensors(state, storages):
    out = {}
    for name, (_, pid, offset, size, stride) in state.items():
        width, dtype = SIZES[pid[1]]
        flat = np.frombuffer(storages[pid[2]], dtype=dtype)
        out[name] = np.lib.stride_tricks.as_strided(flat[offset:], size, [s * width for s in stride]).astype(np.float64)
    return out


def read_zip(path, key):
    archive = zipfile.ZipFile(path)
    prefix = [n for n in archive.namelist() if n.endswith("data.pkl")][0][: -len("data.pkl")]
    state = Unpickler(io.BytesIO(archive.read(prefix + "data.pkl"))).load()[key]
    storages = {v[1][2]: archive.read(f"{prefix}data/{v[1][2]}") for v in state.values()}
    return tensors(state, storages)


def read_legacy(path):
    data = open(path, "rb").read()
    stream = io.BytesIO(data)
    for _ in range(3):
        pickle.load(stream)
    state = Unpickler(stream).load()
    keys = pickle.load(stream)
    types = {v[1][2]: v[1][1] for v in state.values()}
    pos, storages = stream.tell(), {}
    for k in keys:
        (count,) = struct.unpack("<q", data[pos : pos + 8])
        pos += 8
        length = count * SIZES[types[k]][0]
        storages[k] = data[pos : pos + length]
        pos += length
    return tensors(state, storages)


def conv_transpose(x, w, stride, padding):
    batch, _, h, width = x.shape
    k = w.shape[2]
    full = np.zeros((batch, w.shape[1], (h - 1) * stride + k, (width - 1) * stride + k))
    for i in range(h):
        for j in range(width):
            full[:, :, i * stride : i * stride + k, j * stride : j * stride + k] += np.einsum("bc,cokl->bokl", x[:, :, i, j], w)
    return full[:, :, padding : full.shape[2] - padding, padding : full.shape[3] - padding]


def generate(weights, convs, norms, z):
    x = z.astype(np.float64).reshape(len(z), 100, 1, 1)
    for layer, conv in enumerate(convs):
        stride, padding = (1, 0) if layer == 0 else (2, 1)
        x = conv_transpose(x, weights[conv + ".weight"], stride, padding)
        if layer < 4:
            p = norms[layer]
            scale = weights[p + ".weight"] / np.sqrt(weights[p + ".running_var"] + 1e-5)
            shift = weights[p + ".bias"] - weights[p + ".running_mean"] * scale
            x = np.maximum(x * scale[None, :, None, None] + shift[None, :, None, None], 0.0)
        else:
            x = np.tanh(x)
    return x.reshape(len(z), -1)


DIGIFACE_LAYERS = (["main.0", "main.3", "main.6", "main.9", "main.12"], ["main.1", "main.4", "main.7", "main.10"])
CELEBA_LAYERS = ([f"convTr{i}" for i in range(1, 6)], [f"batchNorm{i}" for i in range(1, 5)])


def read_digiface(path):
    return read_zip(path, "netG_state_dict")


def main():
    z = np.stack([seed_latent(s) for s in SEEDS])
    digiface = generate(read_digiface(sys.argv[1]), *DIGIFACE_LAYERS, z)
    celeba = generate(read_legacy(sys.argv[2]), *CELEBA_LAYERS, z)
    np.save(sys.argv[3], np.vstack([digiface, celeba]).astype(np.float32))


if __name__ == "__main__":
    main()

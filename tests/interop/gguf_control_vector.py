"""Control vectors through PyPI's `gguf` package (the library llama.cpp's and repeng's tools use).

    python3 gguf_control_vector.py check FILE   # read a vecspace file; print each direction's sum
    python3 gguf_control_vector.py write FILE   # write a file the way repeng's export_gguf does

`check` asserts what llama.cpp needs: architecture `controlvector`, tensors `direction.N` (N >= 1),
F32, one dimension, all the same length, and the layer count in the metadata.
`write` stores direction.N = [N, N + 0.5, 0, ..., 0, -1] (width 576) for N = 1..29, so the reader
on the other side can check every value.
"""
import sys

import numpy as np
import gguf

WIDTH = 576


def check(path):
    reader = gguf.GGUFReader(path)
    fields = reader.fields
    assert fields["general.architecture"].contents() == "controlvector", "architecture"
    layer_count = int(fields["controlvector.layer_count"].contents())
    assert layer_count == len(reader.tensors), (layer_count, len(reader.tensors))
    hint = fields["controlvector.model_hint"].contents()
    for tensor in reader.tensors:
        assert tensor.name.startswith("direction."), tensor.name
        assert int(tensor.name.split(".")[1]) >= 1, tensor.name
        assert tensor.tensor_type == gguf.GGMLQuantizationType.F32, tensor.tensor_type
        assert list(tensor.shape) == [WIDTH], tensor.shape
        print(tensor.name, f"{float(np.sum(tensor.data.astype(np.float64))):.6f}")
    print("model_hint", hint)


def write(path):
    writer = gguf.GGUFWriter(path, "controlvector")
    writer.add_string("controlvector.model_hint", "llama")
    writer.add_uint32("controlvector.layer_count", 29)
    for layer in range(1, 30):
        values = np.zeros(WIDTH, dtype=np.float32)
        values[0], values[1], values[-1] = layer, layer + 0.5, -1.0
        writer.add_tensor(f"direction.{layer}", values)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


if __name__ == "__main__":
    {"check": check, "write": write}[sys.argv[1]](sys.argv[2])

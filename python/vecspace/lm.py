r"""Language models: generation, steering with control vectors, and the residual stream.

    >>> import vecspace.lm
    >>> lm = vecspace.lm.load("smollm2-135m")
    >>> lm.generate("The capital of France is", max_tokens=8)
    ' Paris.\n\nThe United States has'
    >>> love = lm.control_vector(pairs="data/steering/love-hate.jsonl")
    >>> lm.generate("I think that my day was", steer=[(love, 2.0)], layers=6)  # doctest: +SKIP
    >>> love.save("love.gguf")  # llama.cpp's control-vector format
    >>> for piece in lm.generate("Once upon a time", stream=True):  # doctest: +SKIP
    ...     print(piece, end="", flush=True)

The model runs on the CPU in Rust (the same engine as ``vecspace lm …`` on the command line,
with the same results). Control vectors number their layers as llama.cpp does (1 to blocks − 1,
``direction.N`` added to the output of block N); ``activations`` numbers blocks from 0.
"""

from vecspace._native import ControlVector, GenerationStream, LanguageModel
from vecspace._native import load_language_model as load

__all__ = ["ControlVector", "GenerationStream", "LanguageModel", "load"]

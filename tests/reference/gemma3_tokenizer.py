"""Token ids of a table of texts under Gemma 3's vocabulary, by Google's SentencePiece library.

The GGUF holds the vocabulary as llama.cpp's converter wrote it (pieces, scores, token types);
this rebuilds the SentencePiece model from those fields (BPE, byte fallback, no dummy prefix,
spaces escaped as U+2581, no normalisation) and encodes text with the `sentencepiece` package's
C++ implementation — independent of vecspace's.

llama.cpp first cuts the raw text at the vocabulary's control and user-defined pieces (`<bos>`,
runs of newlines, runs of plain spaces, HTML tags), longest piece first, and encodes only the text
between them; SentencePiece would instead look for user-defined pieces in the escaped text, where
a run of spaces has become `▁▁` and no longer matches the piece of two spaces. As vecspace follows
llama.cpp, so does this script: it partitions the text the same way, then hands each stretch
between special pieces to SentencePiece. Writes a JSON list of {"text", "ids"} (without the BOS
token, which the file asks to add in front).

    /tmp/venv/bin/python tests/reference/gemma3_tokenizer.py GEMMA.gguf tests/golden/gemma3-tokens.json
"""
import json
import sys

import sentencepiece as spm
from gguf import GGUFReader
from sentencepiece import sentencepiece_model_pb2 as model_pb2

TEXTS = [
    "The capital of France is",
    "The chemical symbol for gold is",
    "Hello, world! How are you?",
    "  two leading spaces and  a double space",
    "line one\nline two\n\n\nafter three newlines",
    "tabs\there\tand there",
    "Crème brûlée à la carte, naïve café, Ångström",
    "東京は日本の首都です。北京是中国的首都。",
    "Emoji: 😀🎉👍🏽 and flags 🇫🇷",
    "Numbers 1234567890 and 3.14159 and 1,000,000",
    "def f(x):\n    return x ** 2  # square",
    "<start_of_turn>user\nWhat is 2+2?<end_of_turn>\n<start_of_turn>model\n",
    "<table><tr><td>cell</td></tr></table>",
    "Ελληνικά και Русский язык и العربية",
    "Unusual: \u2581 and \u00a0 no-break space and zero\u200bwidth",
    "a" * 40 + " supercalifragilisticexpialidocious",
]

PIECE_TYPES = {1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 6: 6}  # llama.cpp's token types are SentencePiece's


def main(model_path, out_path):
    reader = GGUFReader(model_path)
    tokens = reader.fields["tokenizer.ggml.tokens"].contents()
    scores = reader.fields["tokenizer.ggml.scores"].contents()
    types = reader.fields["tokenizer.ggml.token_type"].contents()
    model = model_pb2.ModelProto()
    model.trainer_spec.model_type = model_pb2.TrainerSpec.BPE
    model.trainer_spec.byte_fallback = True
    model.trainer_spec.vocab_size = len(tokens)
    model.trainer_spec.unk_id = int(reader.fields["tokenizer.ggml.unknown_token_id"].contents())
    model.trainer_spec.bos_id = int(reader.fields["tokenizer.ggml.bos_token_id"].contents())
    model.trainer_spec.eos_id = int(reader.fields["tokenizer.ggml.eos_token_id"].contents())
    model.trainer_spec.pad_id = int(reader.fields["tokenizer.ggml.padding_token_id"].contents())
    model.normalizer_spec.name = "identity"
    model.normalizer_spec.add_dummy_prefix = False
    model.normalizer_spec.remove_extra_whitespaces = False
    model.normalizer_spec.escape_whitespaces = True
    for piece, score, kind in zip(tokens, scores, types):
        p = model.pieces.add()
        p.piece = piece
        p.score = score
        p.type = PIECE_TYPES[kind]
    processor = spm.SentencePieceProcessor(model_proto=model.SerializeToString())
    specials = sorted(
        ((piece, i) for i, (piece, kind) in enumerate(zip(tokens, types)) if kind in (3, 4) and piece),
        key=lambda special: -len(special[0].encode("utf-8")),
    )

    def encode(text):
        fragments = [text]
        for piece, token in specials:
            cut = []
            for fragment in fragments:
                if isinstance(fragment, int):
                    cut.append(fragment)
                    continue
                for i, part in enumerate(fragment.split(piece)):
                    if i:
                        cut.append(token)
                    if part:
                        cut.append(part)
            fragments = cut
        ids = []
        for fragment in fragments:
            ids.extend([fragment] if isinstance(fragment, int) else processor.encode(fragment))
        return ids

    cases = [{"text": text, "ids": encode(text)} for text in TEXTS]
    with open(out_path, "w", encoding="utf-8") as out:
        out.write("[\n" + ",\n".join(json.dumps(case, ensure_ascii=False) for case in cases) + "\n]\n")
    for case in cases:
        print(len(case["ids"]), repr(case["text"][:40]))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])

#!/usr/bin/env python3
"""Compare `gpupoor tokenize` with OpenAI's GPT-2 encoder.py algorithm.

Encodes FILE with a Python copy of encoder.py's byte-to-unicode table,
pre-tokenizer pattern and BPE loop (which applies every occurrence of the
best pair at once), then with `gpupoor tokenize --json`, and reports the
first differing token. Needs the `regex` module (Debian: python3-regex),
because Python's built-in `re` has no \\p{L}.

Usage: scripts/check_tokenizer_reference.py GPUPOOR_BINARY MODEL_DIR FILE
"""

import json
import subprocess
import sys
from pathlib import Path

import regex

PATTERN = regex.compile(
    r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""
)


def bytes_to_unicode():
    printable = (
        list(range(ord("!"), ord("~") + 1))
        + list(range(ord("¡"), ord("¬") + 1))
        + list(range(ord("®"), ord("ÿ") + 1))
    )
    code_points = printable[:]
    extra = 0
    for byte in range(256):
        if byte not in printable:
            printable.append(byte)
            code_points.append(256 + extra)
            extra += 1
    return dict(zip(printable, map(chr, code_points)))


def bpe(word, ranks):
    word = tuple(word)
    while len(word) > 1:
        pairs = set(zip(word, word[1:]))
        best = min(pairs, key=lambda pair: ranks.get(pair, float("inf")))
        if best not in ranks:
            break
        first, second = best
        merged = []
        i = 0
        while i < len(word):
            if i + 1 < len(word) and word[i] == first and word[i + 1] == second:
                merged.append(first + second)
                i += 2
            else:
                merged.append(word[i])
                i += 1
        word = tuple(merged)
    return word


def reference_ids(model_dir, text):
    vocab = json.loads((model_dir / "vocab.json").read_text(encoding="utf-8"))
    lines = (model_dir / "merges.txt").read_text(encoding="utf-8").split("\n")
    if lines and lines[0].startswith("#version"):
        lines = lines[1:]
    merges = [tuple(line.split(" ")) for line in lines if line]
    ranks = {pair: rank for rank, pair in reversed(list(enumerate(merges)))}
    byte_map = bytes_to_unicode()
    cache = {}
    ids = []
    for piece in PATTERN.findall(text):
        if piece not in cache:
            spelled = "".join(byte_map[b] for b in piece.encode("utf-8"))
            cache[piece] = [vocab[token] for token in bpe(spelled, ranks)]
        ids.extend(cache[piece])
    return ids


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    binary, model_dir, file = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    expected = reference_ids(model_dir, file.read_text(encoding="utf-8"))
    output = subprocess.run(
        [binary, "tokenize", "--model", str(model_dir), "--file", str(file), "--json"],
        check=True, capture_output=True, text=True,
    ).stdout
    actual = json.loads(output)["ids"]

    for index, (want, got) in enumerate(zip(expected, actual)):
        if want != got:
            sys.exit(f"token {index} differs: reference {want}, gpupoor {got}")
    if len(expected) != len(actual):
        sys.exit(f"token counts differ: reference {len(expected)}, gpupoor {len(actual)}")
    print(f"{file}: {len(actual)} tokens, identical to the encoder.py algorithm")


if __name__ == "__main__":
    main()

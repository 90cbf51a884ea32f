#!/usr/bin/env python3
"""Write a 512-token GPT-2 style byte-level BPE tokenizer (vocab.json,
merges.txt) for the tiny test models, whose vocabulary has 512 rows.

Ids 0..255 are the 256 byte symbols in GPT-2's byte-to-unicode order, ids
256..510 the merges learned from the training text given on the command line,
and id 511 is <|endoftext|>. Usage: make_tiny_tokenizer.py TEXT_FILE OUT_DIR
"""
import collections
import json
import re
import sys


def bytes_to_unicode():
    # GPT-2's table: printable bytes map to themselves, the others to 256+.
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(bs, cs)}


def main():
    text = open(sys.argv[1], encoding="utf-8").read()
    out_dir = sys.argv[2]
    byte_map = bytes_to_unicode()
    words = re.findall(r" ?[A-Za-z]+| ?[0-9]+| ?[^\sA-Za-z0-9]+|\s+", text)
    counts = collections.Counter(tuple(byte_map[b] for b in w.encode("utf-8")) for w in words)

    vocab = {byte_map[b]: i for i, b in enumerate(sorted(byte_map))}
    merges = []
    while len(vocab) < 511:
        pairs = collections.Counter()
        for word, count in counts.items():
            for pair in zip(word, word[1:]):
                pairs[pair] += count
        if not pairs:
            break
        best = max(pairs.items(), key=lambda item: (item[1], item[0]))[0]
        merged = best[0] + best[1]
        merges.append(best)
        vocab[merged] = len(vocab)
        new_counts = collections.Counter()
        for word, count in counts.items():
            out, i = [], 0
            while i < len(word):
                if i + 1 < len(word) and (word[i], word[i + 1]) == best:
                    out.append(merged)
                    i += 2
                else:
                    out.append(word[i])
                    i += 1
            new_counts[tuple(out)] += count
        counts = new_counts
    vocab["<|endoftext|>"] = len(vocab)

    with open(f"{out_dir}/vocab.json", "w", encoding="utf-8") as f:
        json.dump(vocab, f, ensure_ascii=False)
    with open(f"{out_dir}/merges.txt", "w", encoding="utf-8") as f:
        f.write("#version: 0.2\n")
        for a, b in merges:
            f.write(f"{a} {b}\n")
    print(f"{len(vocab)} tokens, {len(merges)} merges")


if __name__ == "__main__":
    main()

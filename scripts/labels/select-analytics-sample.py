#!/usr/bin/env python3
"""Reproduce the selection and split of the hand-labelled analytics test set
(tests/data/analytics-labels.jsonl; rules in tests/data/analytics-labels.md).

Selection:
  * corpus: random.Random(2024).sample(range(1, 7686), 130) gives 1-based line
    numbers of shared/corpus/linkedin-2021.jsonl.gz; lines 106 (`{}`) and 1543
    (empty) are skipped; the first 100 remaining, in sample order, are kept.
  * more: every line of shared/corpus/more/*.jsonl (39), in (sorted file name,
    line number) order.
Split: within each group, alternate in that order: 1st, 3rd, ... -> "tune";
2nd, 4th, ... -> "held".

Prints one tab-separated line per posting: source, split, title.
Usage: select-analytics-sample.py [--corpus DIR] [--check LABELS.jsonl]
"""
import argparse
import gzip
import json
import os
import random
import sys

SEED = 2024
POPULATION = range(1, 7686)
DRAW = 130
KEEP = 100
SKIP = {106, 1543}


def corpus_lines():
    sample = random.Random(SEED).sample(POPULATION, DRAW)
    return [n for n in sample if n not in SKIP][:KEEP]


def selection(corpus_dir):
    out = []
    lines = corpus_lines()
    with gzip.open(os.path.join(corpus_dir, "linkedin-2021.jsonl.gz"), "rt", encoding="utf-8") as f:
        raw = f.read().split("\n")
    for i, n in enumerate(lines):
        obj = json.loads(raw[n - 1])
        out.append(("corpus:%d" % n, "tune" if i % 2 == 0 else "held", obj.get("title") or obj.get("name")))
    more_dir = os.path.join(corpus_dir, "more")
    i = 0
    for fn in sorted(x for x in os.listdir(more_dir) if x.endswith(".jsonl")):
        with open(os.path.join(more_dir, fn), encoding="utf-8") as f:
            for ln, line in enumerate(f.read().split("\n"), 1):
                if not line.strip():
                    continue
                obj = json.loads(line)
                out.append(("more:%s:%d" % (fn, ln), "tune" if i % 2 == 0 else "held", obj.get("title") or obj.get("name")))
                i += 1
    return out


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", default="/work/shared/corpus")
    ap.add_argument("--check", help="labels JSONL to compare against (source, split, title)")
    a = ap.parse_args()
    sel = selection(a.corpus)
    if a.check:
        with open(a.check, encoding="utf-8") as f:
            got = [json.loads(l) for l in f if l.strip()]
        want = [(s, sp) for s, sp, _ in sel]
        have = [(r["source"], r["split"]) for r in got]
        if want != have:
            print("MISMATCH: labels file does not follow the selection/split", file=sys.stderr)
            for w, h in zip(want, have):
                if w != h:
                    print("  want %s  have %s" % (w, h), file=sys.stderr)
            if len(want) != len(have):
                print("  count want %d have %d" % (len(want), len(have)), file=sys.stderr)
            return 1
        print("OK: %d postings, selection and split match" % len(want))
        return 0
    for s, sp, t in sel:
        print("%s\t%s\t%s" % (s, sp, t))
    return 0


if __name__ == "__main__":
    sys.exit(main())

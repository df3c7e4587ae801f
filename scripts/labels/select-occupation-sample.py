#!/usr/bin/env python3
"""Reproduce the occupation-coding test sample and its tune/held split.

Selection (deterministic):
  * corpus: random.Random(2027).sample(range(1, 7686), 150) over 1-based line
    numbers of /work/shared/corpus/linkedin-2021.jsonl.gz; drop lines 106 (`{}`)
    and 1543 (empty); keep the first 120 in sample order.
    Split alternates in sample order: 1st, 3rd, ... -> tune; 2nd, 4th, ... -> held.
  * corpus/more: every line of every *.jsonl file, in (sorted file name, line)
    order; split alternates starting with tune.
  * second held-back set (`held2`, coded after the first held half had been
    scored, before any rule change that followed): random.Random(2028).sample
    over the same line numbers, minus SKIP and minus every line of the first
    sample, drawing 120 and keeping the first 80 in sample order.

Output: one line per posting, "source<TAB>split<TAB>title" (or --json for JSON).
Sources are "corpus:<line>" or "more:<file>:<line>" (line is 1-based).
"""
import argparse
import gzip
import json
import os
import random
import sys

ROOT = os.environ.get("CORPUS_ROOT", "/work/shared/corpus")
SEED = 2027
POPULATION = range(1, 7686)
DRAW = 150
KEEP = 120
SKIP = {106, 1543}
SEED_2 = 2028
DRAW_2 = 120
KEEP_2 = 80


def corpus_lines():
    drawn = random.Random(SEED).sample(POPULATION, DRAW)
    kept = [n for n in drawn if n not in SKIP][:KEEP]
    assert len(kept) == KEEP
    return kept


def corpus_lines_2():
    first = set(corpus_lines())
    pool = [n for n in POPULATION if n not in SKIP and n not in first]
    kept = random.Random(SEED_2).sample(pool, DRAW_2)[:KEEP_2]
    assert len(kept) == KEEP_2
    return kept


def selection():
    """Yield (source, split, posting_dict)."""
    kept = corpus_lines()
    kept_2 = corpus_lines_2()
    wanted = set(kept) | set(kept_2)
    texts = {}
    with gzip.open(os.path.join(ROOT, "linkedin-2021.jsonl.gz"), "rt", encoding="utf-8") as f:
        for i, line in enumerate(f, 1):
            if i in wanted:
                texts[i] = json.loads(line)
    for k, n in enumerate(kept):
        yield f"corpus:{n}", ("tune" if k % 2 == 0 else "held"), texts[n]
    more = os.path.join(ROOT, "more")
    k = 0
    for name in sorted(os.listdir(more)):
        if not name.endswith(".jsonl"):
            continue
        with open(os.path.join(more, name), encoding="utf-8") as f:
            for i, line in enumerate(f, 1):
                if not line.strip():
                    continue
                yield f"more:{name}:{i}", ("tune" if k % 2 == 0 else "held"), json.loads(line)
                k += 1
    for n in kept_2:
        yield f"corpus:{n}", "held2", texts[n]


def title_of(p):
    return p.get("title") or p.get("name") or ""


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--json", action="store_true", help="print JSON objects with the full posting")
    args = ap.parse_args()
    for source, split, p in selection():
        if args.json:
            print(json.dumps({"source": source, "split": split, "posting": p}, ensure_ascii=False))
        else:
            print(f"{source}\t{split}\t{title_of(p)}")


if __name__ == "__main__":
    sys.exit(main())

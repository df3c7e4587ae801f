#!/usr/bin/env python3
"""Reproduce the selection of the held-back section cases.

Three sets:
  held   (default) C70-C89, tests/data/sections-cases-held.toml
         (method in tests/data/sections-cases-held.md)
  held2  C90-C119, tests/data/sections-cases-held2.toml
         (method in tests/data/sections-cases-held2.md)
  held3  C120-C149, tests/data/sections-cases-held3.toml
         (method in tests/data/sections-cases-held3.md)

Selection:
  random.Random(SEED).sample(range(1, 7686), DRAW) gives 1-based line numbers of
  shared/corpus/linkedin-2021.jsonl.gz. They are taken in that order, keeping the
  first KEEP lines whose description is non-empty, that are not already a `line` in
  the earlier case files, and that have at least 2 headings (on lines of their own).
  That last judgement was made by reading the postings; its result is the set's
  SKIPPED constant below.

    set    seed  draw  keep  ids        earlier case files
    held   2701    80    20  C70-C89    sections-cases.toml, sections-cases-new.toml
    held2  2702   120    30  C90-C119   the same + sections-cases-held.toml
    held3  2703   120    30  C120-C149  the same + sections-cases-held2.toml

Prints one tab-separated row per drawn line up to the last kept one:
  draw index, line, status (kept as C.. / empty / existing / skipped), company, title.
With --check, also compares the kept lines with the `line`s of the set's file.
Usage: select-sections-held.py [--set held|held2|held3] [--corpus DIR] [--check]
"""
import argparse
import gzip
import json
import os
import random
import sys
import tomllib

POPULATION = range(1, 7686)

# Lines read and rejected for having fewer than 2 headings, per set.
SKIPPED_HELD = {
    # JobGet / Raytheon "Prin Eng, Cyber Engrg": one plain-text paragraph; no heading
    # stands on a line of its own ("Job Description :" and "Requirements:" are inline
    # labels, the inline-heading case of C42/C43).
    1787: "no heading on a line of its own (inline labels only)",
}

SKIPPED_HELD2 = {
    # TalentPlug "Site Reliability Engineer": only "Responsibilities" stands on a line
    # of its own; the bold "Desirable Skills Include:" and "Experience" share their <p>
    # with their text (inline labels).
    3454: "one heading on a line of its own (the other two are inline labels)",
    # Delta Air Lines "Data Scientist, Operations Decision Science": "Primary
    # Functions" is the only heading; duties and qualifications are one list under it.
    2486: "one heading only",
    # Garmin "GNSS /Positioning Sr Software Engineer": paragraphs and one list; the
    # colon lead-in ends the paragraph line.
    5030: "no heading on a line of its own",
}

SKIPPED_HELD3 = {
    # QBA Worldwide ".NET Developer (C#, VB.net, ASP.net, SQL)": a paragraph, then the
    # bold label "Work Authorization:" sharing its line with the value (inline label),
    # then the plain "ROLE" over one sentence. One heading.
    1128: "one heading on a line of its own (\"Work Authorization:\" is an inline label)",
}

SETS = {
    "held": {
        "seed": 2701, "draw": 80, "keep": 20, "first_id": 70,
        "existing": ("sections-cases.toml", "sections-cases-new.toml"),
        "file": "sections-cases-held.toml",
        "skipped": SKIPPED_HELD,
    },
    "held2": {
        "seed": 2702, "draw": 120, "keep": 30, "first_id": 90,
        "existing": ("sections-cases.toml", "sections-cases-new.toml", "sections-cases-held.toml"),
        "file": "sections-cases-held2.toml",
        "skipped": SKIPPED_HELD2,
    },
    "held3": {
        "seed": 2703, "draw": 120, "keep": 30, "first_id": 120,
        "existing": ("sections-cases.toml", "sections-cases-new.toml", "sections-cases-held.toml",
                     "sections-cases-held2.toml"),
        "file": "sections-cases-held3.toml",
        "skipped": SKIPPED_HELD3,
    },
}

# The defaults (set "held"), kept under their old names.
SEED = SETS["held"]["seed"]
DRAW = SETS["held"]["draw"]
KEEP = SETS["held"]["keep"]
FIRST_ID = SETS["held"]["first_id"]
SKIPPED = SKIPPED_HELD


def existing_lines(data_dir, names=SETS["held"]["existing"]):
    out = set()
    for name in names:
        with open(os.path.join(data_dir, name), "rb") as f:
            for case in tomllib.load(f)["case"]:
                if "line" in case:
                    out.add(case["line"])
    return out


def selection(corpus_dir, data_dir, which="held"):
    cfg = SETS[which]
    with gzip.open(os.path.join(corpus_dir, "linkedin-2021.jsonl.gz"), "rt", encoding="utf-8") as f:
        raw = f.read().split("\n")
    used = existing_lines(data_dir, cfg["existing"])
    skipped = cfg["skipped"]
    rows, kept = [], []
    for i, n in enumerate(random.Random(cfg["seed"]).sample(POPULATION, cfg["draw"]), 1):
        if len(kept) == cfg["keep"]:
            break
        try:
            obj = json.loads(raw[n - 1])
        except ValueError:
            obj = {}
        desc = obj.get("description") or ""
        org = (obj.get("hiringOrganization") or {}).get("name") or ""
        title = obj.get("title") or ""
        if not desc.strip():
            status = "empty"
        elif n in used:
            status = "existing"
        elif n in skipped:
            status = "skipped: " + skipped[n]
        else:
            status = "C%d" % (cfg["first_id"] + len(kept))
            kept.append(n)
        rows.append((i, n, status, org, title))
    if len(kept) < cfg["keep"]:
        print("WARNING: only %d of %d kept" % (len(kept), cfg["keep"]), file=sys.stderr)
    return rows, kept


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    data_dir = os.path.normpath(os.path.join(here, "..", "..", "tests", "data"))
    ap = argparse.ArgumentParser()
    ap.add_argument("--set", dest="which", choices=sorted(SETS), default="held",
                    help="held (C70-C89, default), held2 (C90-C119) or held3 (C120-C149)")
    ap.add_argument("--corpus", default="/work/shared/corpus")
    ap.add_argument("--check", action="store_true", help="compare with the set's case file")
    a = ap.parse_args()
    cfg = SETS[a.which]
    rows, kept = selection(a.corpus, data_dir, a.which)
    for r in rows:
        print("%d\t%d\t%s\t%s\t%s" % r)
    print("lines: " + ", ".join(str(n) for n in kept))
    if a.check:
        with open(os.path.join(data_dir, cfg["file"]), "rb") as f:
            cases = tomllib.load(f)["case"]
        have = [(c["id"], c["line"]) for c in cases]
        want = [("C%d" % (cfg["first_id"] + i), n) for i, n in enumerate(kept)]
        if have != want:
            print("MISMATCH: %s %s, selection %s" % (cfg["file"], have, want), file=sys.stderr)
            return 1
        print("OK: %d cases match the selection" % len(want))
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Validate tests/data/occupation-labels.jsonl against the sample and the reference data.

Checks: one record per selected posting, in selection order, with the right split and
title; every isco08 / alt code is a 4-digit ISCO-08 unit group in ISCOGroups_en.csv with
the right label; every esco concept exists and its iscoGroup equals the isco08 code;
certainty values; null codes carry notes. It does not (and cannot) check the codes
themselves: they were assigned by hand.
"""
import csv
import importlib.util
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
REF = os.environ.get("ESCO_ROOT", "/work/shared/reference/esco")
LABELS = os.path.join(REPO, "tests", "data", "occupation-labels.jsonl")

spec = importlib.util.spec_from_file_location("sel", os.path.join(HERE, "select-occupation-sample.py"))
sel = importlib.util.module_from_spec(spec)
spec.loader.exec_module(sel)


def main():
    isco = {r["code"]: r["preferredLabel"] for r in csv.DictReader(open(os.path.join(REF, "ISCOGroups_en.csv"), encoding="utf-8"))}
    esco = {r["conceptUri"]: r for r in csv.DictReader(open(os.path.join(REF, "occupations_en.csv"), encoding="utf-8"))}
    recs = [json.loads(l) for l in open(LABELS, encoding="utf-8") if l.strip()]
    errors = []
    expected = list(sel.selection())
    if len(recs) != len(expected):
        errors.append(f"{len(recs)} records, expected {len(expected)}")
    for rec, (source, split, posting) in zip(recs, expected):
        where = rec.get("source")
        if rec.get("source") != source or rec.get("split") != split:
            errors.append(f"{where}: expected {source} {split}")
        if rec.get("title") != sel.title_of(posting).strip():
            errors.append(f"{where}: title differs")
        code = rec.get("isco08")
        if code is None:
            if rec.get("esco") is not None:
                errors.append(f"{where}: esco without isco08")
            if not rec.get("notes"):
                errors.append(f"{where}: null code without notes")
        else:
            c = code.get("code", "")
            if len(c) != 4 or c not in isco:
                errors.append(f"{where}: {c} is not an ISCO-08 unit group")
            elif code.get("label") != isco[c]:
                errors.append(f"{where}: label for {c} should be {isco[c]!r}")
            e = rec.get("esco")
            if e is not None:
                row = esco.get(e.get("uri"))
                if row is None:
                    errors.append(f"{where}: unknown ESCO uri")
                elif row["iscoGroup"] != c or row["preferredLabel"] != e.get("label"):
                    errors.append(f"{where}: ESCO {row['preferredLabel']} is {row['iscoGroup']}, not {c}")
        for a in rec.get("alt_codes", []):
            if len(a) != 4 or a not in isco:
                errors.append(f"{where}: alt {a} is not an ISCO-08 unit group")
            if code is not None and a == code.get("code"):
                errors.append(f"{where}: alt repeats the code")
        if rec.get("certainty") not in ("clear", "likely", "unclear"):
            errors.append(f"{where}: bad certainty")
        for k in ("title_normalized", "title_qualifiers", "evidence", "notes"):
            if k not in rec:
                errors.append(f"{where}: missing {k}")
    for e in errors:
        print(e)
    print(f"{len(recs)} records, {len(errors)} problems")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())

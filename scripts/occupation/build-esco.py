#!/usr/bin/env python3
"""Builds data/occupation/esco-occupations.tsv and isco08-groups.tsv from
ESCO's English CSV export (../shared/reference/esco/ by default).

    python3 scripts/occupation/build-esco.py [--esco DIR] [--check]

The export is checked by SHA-256 (the values in its README); the output is
sorted and stable, so `--check` exits 1 when a file differs from what the
export gives.
"""
import argparse
import csv
import hashlib
import io
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = ROOT / "data" / "occupation"
PINS = {
    "occupations_en.csv": "76ac08eaed216ad5737fc1e7fb8dc10b17d0c37e1e965a0a92fa75349c2803f7",
    "ISCOGroups_en.csv": "29606bf9b1c3964cd29efff2f317114aa2fcc069c7d793aa6cba5af0d73a04d6",
}
URI_PREFIX = "http://data.europa.eu/esco/occupation/"


def read(esco: pathlib.Path, name: str) -> list[dict]:
    raw = (esco / name).read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    if digest != PINS[name]:
        sys.exit(f"{name}: sha256 {digest}, expected {PINS[name]}")
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8"))))


def clean(label: str) -> str:
    return " ".join(label.replace("\t", " ").split())


def occupations(esco: pathlib.Path) -> str:
    rows = []
    for o in read(esco, "occupations_en.csv"):
        uri = o["conceptUri"]
        assert uri.startswith(URI_PREFIX), uri
        code = o["iscoGroup"].strip()
        assert len(code) == 4 and code.isdigit(), (uri, code)
        alts = sorted({clean(a) for a in o["altLabels"].split("\n") if clean(a)} - {clean(o["preferredLabel"])})
        assert not any("|" in a for a in alts), uri
        rows.append((code, uri[len(URI_PREFIX):], clean(o["preferredLabel"]), "|".join(alts)))
    rows.sort()
    head = "# isco08\tesco_id\tpreferred_label\talt_labels (| between)\n"
    return head + "".join("\t".join(r) + "\n" for r in rows)


def groups(esco: pathlib.Path) -> str:
    rows = sorted((g["code"].strip(), clean(g["preferredLabel"])) for g in read(esco, "ISCOGroups_en.csv"))
    assert all(c.isdigit() and 1 <= len(c) <= 4 for c, _ in rows)
    return "# isco08\tlabel\n" + "".join(f"{c}\t{l}\n" for c, l in rows)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--esco", type=pathlib.Path, default=ROOT.parent / "shared" / "reference" / "esco")
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()
    files = {
        "esco-occupations.tsv": occupations(args.esco),
        "isco08-groups.tsv": groups(args.esco),
    }
    stale = []
    for name, text in files.items():
        path = OUT / name
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(name)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path.relative_to(ROOT)} ({text.count(chr(10)) - 1} rows, {len(text.encode())} bytes)")
    if stale:
        sys.exit("stale: " + ", ".join(stale))


if __name__ == "__main__":
    main()

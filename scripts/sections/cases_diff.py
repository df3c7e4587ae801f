#!/usr/bin/env python3
"""Compare enriched output with the hand-read section expectations.

Usage:
  python3 scripts/sections/cases_diff.py tests/data/sections-cases.toml OUT.jsonl
      [--corpus /work/shared/corpus/linkedin-2021.jsonl.gz] [--no-causes]

OUT.jsonl is the enricher's output for the WHOLE corpus, in corpus order, e.g.

  zcat /work/shared/corpus/linkedin-2021.jsonl.gz \
    | posting-enricher enrich -q --enriched-at 2026-11-29T00:00:00Z > OUT.jsonl

The enricher rejects some corpus lines (106 `{}` and 1543 empty), so records are
mapped back to corpus lines: first by position (skipping lines that are empty, not
JSON, or an empty object), checked by comparing `posting` with the corpus line, with a
full sequential scan as the fallback.

For every case the expected (heading, kind) sequence is aligned with the output's
(difflib on case-folded headings; unheaded sections align with unheaded ones), then
kinds (accepting `alt_kinds`), item counts (where given), exact heading text and
`text_starts_with` are compared. Sections that do not align are reported as missing,
extra, split (one expected heading came out as several consecutive headings) or
merged (the expected heading text is found inside another section's text).

Each difference is tagged with the cause named in docs/sections-corpus-report.md §6,
from the table KNOWN_CAUSES below, which records the causes found by reading the
differences of the base binary. A difference that is not in the table is tagged
"unclassified": after a code change, read it and extend the table.

Prints Markdown to stdout: one block per case (PASS or the differences), then a
summary by cause. Exit status 0 (the script reports; it does not judge).
Standard library only (Python 3.11+, tomllib).
"""

from __future__ import annotations

import argparse
import collections
import difflib
import gzip
import json
import re
import sys
import tomllib

DEFAULT_CORPUS = "/work/shared/corpus/linkedin-2021.jsonl.gz"

# ---------------------------------------------------------------------------
# Causes (report §6 names). Keys: (case id, heading) where heading is the expected
# heading, or the output heading for an "extra" section, or "#n" for the n-th
# (1-based) expected section when it is unheaded; a value applies to every
# difference about that section. (case id, heading, type) narrows it to one
# difference type (kind, items, missing, extra, split, heading-text, text).
# (case id, "*") applies to the whole case.
# ---------------------------------------------------------------------------
Q = '"?"-ending bold heading rejected (§6.1)'
BANG = 'other: "!"-ending bold heading rejected (same code as §6.1)'
COLON = "bold heading with a colon inside taken for a label (§6.2)"
PLAIN_EMPH = "plain heading followed by emphasized line dropped (§6.3)"
SENTENCE = "sentence-case plain heading (§6.4)"
INLINE_BOLD = "inline bold lead-in (§6.5)"
SPLIT = "headings split across bold runs (§6.6)"
LEADIN = "long colon lead-in not a heading (§6.7)"
EEO_MID = "EEO / pay paragraph not at end, not split by content (§6.8)"
ABOUT = "`about …` prefix rule (§6.9)"
BODY_LIST = "classify_body list→responsibilities (§6.10)"
UNMARKED = "unmarked list lines (§6.12)"
INLINE = "inline headings in plain text (§6.13)"
NOT_HEADING = "not-a-heading lines (emails, signatures, titles, link lines) (§5)"
OTHER_TABLE = "other: heading table gives the wrong kind (sections/rules.rs)"
OTHER_INTRO = "other: unheaded intro kind (classify_body)"
OTHER_STAR = 'other: "* … *" decoration read as a text bullet'

KNOWN_CAUSES: dict[tuple, str] = {
    # unheaded intro sections whose kind is wrong (no or a wrong body cue)
    ("C01", "#1"): OTHER_INTRO,
    ("C04", "#1"): OTHER_INTRO,
    ("C07", "#1"): OTHER_INTRO,
    ("C08", "#1"): OTHER_INTRO,
    ("C19", "#1"): OTHER_INTRO,   # "we are a" matches "we are actively"
    ("C25", "#1"): OTHER_INTRO,
    ("C28", "#1"): OTHER_INTRO,
    ("C29", "#1"): OTHER_INTRO,
    ("C33", "#1"): OTHER_INTRO,
    ("C35", "#1"): OTHER_INTRO,
    ("C37", "#1"): OTHER_INTRO,
    ("C39", "#1"): OTHER_INTRO,
    ("C41", "#1"): OTHER_INTRO,
    ("C34", "#1"): BODY_LIST,     # deadline note + 2 question items -> responsibilities
    # link line / title line / contact lines / footers / terms taken for headings
    ("C05", "#1"): NOT_HEADING,
    ("C05", "Employee Applicant Privacy Notice"): NOT_HEADING,
    ("C19", "Shiv.Warrier@CyberCoders.com"): NOT_HEADING,
    ("C19", "Shiv Warrier - Sr. Executive Recruiter - CyberCoders"): NOT_HEADING,
    ("C20", "Jackson.Hufferd@CyberCoders.com"): NOT_HEADING,
    ("C20", "Jackson Hufferd - Sr. Executive Recruiter - CyberCoders"): NOT_HEADING,
    ("C21", "” Right Now, We Use"): NOT_HEADING,
    ("C21", "Technologies We Use"): NOT_HEADING,
    ("C27", "Only W2 candidates"): NOT_HEADING,
    ("C33", "Powered by JazzHR"): NOT_HEADING,
    ("C40", "Machine Learning Engineer"): NOT_HEADING,
    ("C40", "#1"): NOT_HEADING,
    # "?" and "!" headings
    ("C24", "Why Infoblox?"): Q,
    ("C28", "Why Awardco?"): Q,
    ("C28", "Salary Range"): Q,
    ("C39", "Apply Now!"): BANG,
    ("C39", "Who you are"): BANG,
    # plain heading followed by an emphasized line
    ("C10", "Job Requirements"): PLAIN_EMPH,
    ("C19", "What You Need for this Position"): PLAIN_EMPH,
    ("C27", "Requirements"): PLAIN_EMPH,
    ("C27", "Benefits"): PLAIN_EMPH,
    # bold heading with a colon inside
    ("C27", "YOU: (Required Skills)"): COLON,
    ("C27", "WHAT YOU WILL BE DOING"): COLON,
    # sentence case
    ("C26", "Nice to have"): SENTENCE,
    ("C26", "Requirements"): SENTENCE,
    # inline bold lead-in
    ("C23", "Your Daily Adventures Will Include"): INLINE_BOLD,
    # split headings
    ("C29", "Required Qualifications"): SPLIT,
    ("C30", "Experience Qualifications"): SPLIT,
    # long colon lead-ins
    ("C22", "As a Site Reliability Engineer, your responsibilities will include"): LEADIN,
    ("C22", "For the best possible fit, we are looking for someone who"): LEADIN,
    # EEO / pay paragraphs inside a section
    ("C32", "#5"): EEO_MID,
    ("C44", "#4"): EEO_MID,
    ("C34", "Additional Information"): EEO_MID,   # pay paragraph opens a GENERIC section
    # about … prefix
    ("C11", "About the Site Reliability Engineer Role"): ABOUT,
    # list under an unclassifiable (or GENERIC) heading
    ("C08", "Tech we use"): BODY_LIST,
    ("C21", "SWE Principles Include"): BODY_LIST,
    ("C37", "You are"): BODY_LIST,
    ("C27", "Job description", "kind"): BODY_LIST,
    ("C27", "Job description", "items"): OTHER_STAR,
    # unmarked list lines
    ("C31", "Key Qualifications"): UNMARKED,
    # plain text
    ("C42", "*"): INLINE,
    ("C43", "*"): INLINE,
    # heading table
    ("C22", "Your Mission, Should You Choose to Accept"): OTHER_TABLE,   # `your mission` -> responsibilities
    ("C15", "Opportunities Beyond Business"): OTHER_TABLE,
    ("C25", "EY | Building a better working world"): OTHER_TABLE,
    ("C34", "Product and Systems Development"): OTHER_TABLE,
    ("C34", "Engineering Productivity"): OTHER_TABLE,
    ("C34", "Site Reliability"): OTHER_TABLE,
    ("C37", "The Entity"): OTHER_TABLE,
    ("C39", "Euretos"): OTHER_TABLE,
    ("C44", "What We Believe"): OTHER_TABLE,
}


# ---------------------------------------------------------------------------
# loading
# ---------------------------------------------------------------------------
def parse_line(raw: str):
    raw = raw.strip()
    if not raw:
        return None
    try:
        v = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(v, dict) or not v:
        return None
    return v


def load_corpus(path: str) -> list:
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as f:
        text = f.read()
    raw_lines = text.split("\n")
    if raw_lines and raw_lines[-1] == "":
        raw_lines.pop()
    return [parse_line(l) for l in raw_lines]


def map_records(corpus: list, out_path: str, wanted: set[int]) -> dict[int, dict]:
    """corpus line (1-based) -> output record, for the wanted lines."""
    with open(out_path, encoding="utf-8") as f:
        out_lines = f.read().splitlines()
    # fast path: position = index among accepted corpus lines
    pos_of_line = {}
    k = 0
    for i, p in enumerate(corpus):
        if p is not None:
            pos_of_line[i + 1] = k
            k += 1
    res = {}
    ok = True
    for ln in wanted:
        k = pos_of_line.get(ln)
        if k is None or k >= len(out_lines):
            ok = False
            break
        rec = json.loads(out_lines[k])
        if rec.get("posting") != corpus[ln - 1]:
            ok = False
            break
        res[ln] = rec
    if ok:
        return res
    # slow path: sequential alignment
    print("note: positional mapping failed; scanning", file=sys.stderr)
    res = {}
    ci = 0
    for raw in out_lines:
        rec = json.loads(raw)
        while ci < len(corpus) and corpus[ci] != rec.get("posting"):
            ci += 1
        if ci >= len(corpus):
            break
        if ci + 1 in wanted:
            res[ci + 1] = rec
        ci += 1
    return res


# ---------------------------------------------------------------------------
# comparison
# ---------------------------------------------------------------------------
def norm(h):
    if h is None:
        return None
    h = re.sub(r"\s+", " ", h).strip().rstrip(":").strip()
    return h.casefold().replace("’", "'")


def show(h):
    return "(unheaded)" if h is None else f"“{h}”"


def compare(case: dict, rec: dict | None) -> list[dict]:
    """Return a list of differences {type, exp, act, msg, key}."""
    diffs = []
    exp = case["sections"]
    if rec is None:
        return [dict(type="no-record", key="*", msg="no output record for this line")]
    act = rec["enrichment"]["description"]["sections"]

    def ekey(i):  # cause key of expected section i
        h = exp[i].get("heading")
        return h if h is not None else f"#{i + 1}"

    def add(typ, key, msg):
        diffs.append(dict(type=typ, key=key, msg=msg))

    ek = [norm(s.get("heading")) for s in exp]
    ak = [norm(s.get("heading")) for s in act]
    sm = difflib.SequenceMatcher(None, ek, ak, autojunk=False)
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        if tag == "equal":
            for i, j in zip(range(i1, i2), range(j1, j2)):
                e, a = exp[i], act[j]
                where = f"{show(e.get('heading'))} (#{i + 1})"
                if e.get("heading") is not None and e["heading"] != a["heading"]:
                    add("heading-text", ekey(i),
                        f"heading text {where}: got {show(a['heading'])}")
                kinds = [e["kind"]] + list(e.get("alt_kinds", []))
                if a["kind"] not in kinds:
                    add("kind", ekey(i),
                        f"wrong kind {where}: expected {'/'.join(kinds)}, got {a['kind']}")
                if "items" in e and e["items"] != len(a["items"]):
                    add("items", ekey(i),
                        f"item count {where}: expected {e['items']}, got {len(a['items'])}")
                if "text_starts_with" in e and not a["text"].lstrip().startswith(e["text_starts_with"]):
                    add("text", ekey(i),
                        f"text boundary {where}: text should start with "
                        f"“{e['text_starts_with'][:60]}…”, starts with “{a['text'][:60]}…”")
            continue
        # unaligned block: expected i1..i2, actual j1..j2
        used_act = set()
        used_exp = set()
        # split: one expected heading == consecutive actual headings joined
        for i in range(i1, i2):
            h = exp[i].get("heading")
            if h is None:
                continue
            for j in range(j1, j2):
                for n in range(2, 4):
                    if j + n > j2:
                        break
                    parts = [act[x]["heading"] for x in range(j, j + n)]
                    if any(p is None for p in parts):
                        break
                    if norm(" ".join(parts)) == norm(h):
                        used_exp.add(i)
                        used_act.update(range(j, j + n))
                        a_last = act[j + n - 1]
                        msg = (f"split {show(h)} (#{i + 1}): came out as "
                               + " + ".join(show(p) for p in parts))
                        kinds = [exp[i]["kind"]] + list(exp[i].get("alt_kinds", []))
                        if a_last["kind"] not in kinds:
                            msg += f"; kind of the last part {a_last['kind']}"
                        if "items" in exp[i] and exp[i]["items"] != len(a_last["items"]):
                            msg += f"; items {len(a_last['items'])} (expected {exp[i]['items']})"
                        add("split", ekey(i), msg)
        # unheaded expected vs unheaded actual in the same block: compare kinds
        for i in range(i1, i2):
            if i in used_exp or exp[i].get("heading") is not None:
                continue
            for j in range(j1, j2):
                if j in used_act or act[j]["heading"] is not None:
                    continue
                used_exp.add(i)
                used_act.add(j)
                kinds = [exp[i]["kind"]] + list(exp[i].get("alt_kinds", []))
                if act[j]["kind"] not in kinds:
                    add("kind", ekey(i),
                        f"wrong kind (unheaded) (#{i + 1}): expected {'/'.join(kinds)}, got {act[j]['kind']}")
                break
        for i in range(i1, i2):
            if i in used_exp:
                continue
            e = exp[i]
            h = e.get("heading")
            host = None
            if h is not None:
                # where did it go? look for the heading text inside a section's text
                nh = re.sub(r"\s+", " ", h)
                for a in act:
                    if nh in re.sub(r"\s+", " ", a["text"]):
                        host = a
                        break
            msg = f"missing {show(h)} (#{i + 1}, {e['kind']})"
            if host is not None:
                msg += f": merged into {show(host['heading'])} ({host['kind']}, {len(host['items'])} items)"
            elif h is None:
                prev = act[j1 - 1] if j1 > 0 else None
                if prev is not None:
                    msg += f": its text is presumably in {show(prev['heading'])} ({prev['kind']})"
            add("missing", ekey(i), msg)
        for j in range(j1, j2):
            if j in used_act:
                continue
            a = act[j]
            key = a["heading"] if a["heading"] is not None else f"#{i1 + 1}"
            add("extra", key,
                f"extra {show(a['heading'])} ({a['kind']}, {len(a['items'])} items)")
    return diffs


def cause_of(cid: str, d: dict) -> str:
    return (KNOWN_CAUSES.get((cid, d["key"], d["type"]))
            or KNOWN_CAUSES.get((cid, d["key"]))
            or KNOWN_CAUSES.get((cid, "*"))
            or "unclassified")


# ---------------------------------------------------------------------------
def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("cases")
    ap.add_argument("enriched")
    ap.add_argument("--corpus", default=DEFAULT_CORPUS)
    ap.add_argument("--no-causes", action="store_true", help="do not tag causes")
    args = ap.parse_args()

    with open(args.cases, "rb") as f:
        cases = tomllib.load(f)["case"]
    corpus = load_corpus(args.corpus)
    recs = map_records(corpus, args.enriched, {c["line"] for c in cases})

    n_sections = sum(len(c["sections"]) for c in cases)
    results = []
    for c in cases:
        ds = compare(c, recs.get(c["line"]))
        for d in ds:
            d["cause"] = "" if args.no_causes else cause_of(c["id"], d)
        results.append((c, ds))

    passed = [c["id"] for c, ds in results if not ds]
    plain = [c for c, _ in results if not c.get("inline_headings")]
    passed_plain = [c["id"] for c, ds in results if not ds and not c.get("inline_headings")]
    print("## Per-case results\n")
    print(f"Cases: {len(cases)} ({n_sections} expected sections). "
          f"PASS: {len(passed)} of {len(cases)}; without the inline-heading cases: "
          f"{len(passed_plain)} of {len(plain)}.\n")
    for c, ds in results:
        flag = " · inline_headings" if c.get("inline_headings") else ""
        status = "PASS" if not ds else f"FAIL ({len(ds)})"
        print(f"- **{c['id']} · {c['line']}** ({c['covers']}{flag}) — {status}")
        for d in ds:
            tag = f" — *{d['cause']}*" if d["cause"] else ""
            print(f"  - {d['msg']}{tag}")
    if args.no_causes:
        return 0

    print("\n## Differences by cause\n")
    by_cause = collections.defaultdict(lambda: [0, []])
    for c, ds in results:
        for d in ds:
            e = by_cause[d["cause"]]
            e[0] += 1
            if c["id"] not in e[1]:
                e[1].append(c["id"])
    causes_of_case = {c["id"]: {d["cause"] for d in ds} for c, ds in results}
    print("| cause | cases | differences | case ids | cases failing only for this cause |")
    print("|---|---:|---:|---|---|")
    for cause, (n, ids) in sorted(by_cause.items(), key=lambda kv: (-len(kv[1][1]), -kv[1][0], kv[0])):
        only = [i for i in ids if causes_of_case[i] == {cause}]
        print(f"| {cause} | {len(ids)} | {n} | {', '.join(ids)} | {', '.join(only) or '—'} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())

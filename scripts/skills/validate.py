#!/usr/bin/env python3
"""Validate data/skills.tsv: load it, simulate the skill-matching rules, report.

The matching rules simulated here are the ones the Rust matcher implements
(see docs/skills-taxonomy.md, "Matching rules"):

1. Text is matched per line (split at '\\n').
2. A name of a row with ambiguous=no matches case-insensitively; a name of a
   row with ambiguous=yes matches case-sensitively, exactly as written.
   In a name, ' ' matches one or more whitespace characters and '-' matches
   '-' or a single space. Boundaries: the char before the match is not
   alphanumeric; the char after is not alphanumeric, not '+', not '#', and not
   a '.' that is followed by an alphanumeric char.
3. A hit of an ambiguous row counts only when the same line holds a counted
   hit of a non-ambiguous row, or one of the QUALIFIERS (case-insensitive,
   same boundaries). A single-letter name (R, C) never matches when followed
   by '&', '-', an apostrophe (' or U+2019), or '/' + a letter where no skill
   name matches right after the '/'; nor when preceded by '-'.
4. Leftmost-longest: among boundary-valid candidates, the earliest start wins,
   at equal start the longest; overlapping candidates are dropped. The
   evidence check (3) runs after this selection.

Usage:
  validate.py                      corpus report (coverage, top 60, 40-hit sample)
  validate.py --name Go [--rejected] [--limit N]
                                   every hit of one canonical (context lines)
  validate.py --cases tests/data/skills-cases.tsv
                                   check the unit cases, exit 1 on a mismatch
  validate.py --text 'some line'   show what one line gives
  validate.py --proposed [R1,R2,..] any of the above with the requested rule changes
                                   (R1..R5, docs/skills-taxonomy.md) simulated
"""

import argparse
import collections
import json
import os
import random
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_TSV = os.path.join(ROOT, "data", "skills.tsv")
DEFAULT_CORPUS = "/tmp/base-out.jsonl"
CATEGORIES = (
    "language", "framework", "library", "database", "cloud", "platform",
    "tool", "data", "ml", "practice", "certification",
)
QUALIFIERS = (
    "language", "languages", "programming", "developer", "development", "lang",
    "framework", "stack", "tools", "experience with", "proficiency in",
    "proficient in", "knowledge of",
)
SECTION_KINDS = ("requirements", "preferred")
SINGLE_LETTER_BLOCK_AFTER = "&-'\u2019"


class Entry:
    __slots__ = ("canonical", "category", "aliases", "ambiguous", "lineno")

    def __init__(self, canonical, category, aliases, ambiguous, lineno):
        self.canonical = canonical
        self.category = category
        self.aliases = aliases
        self.ambiguous = ambiguous
        self.lineno = lineno


def load_taxonomy(path):
    """Parse and check the TSV. Errors are fatal (the Rust loader rejects them too)."""
    entries, errors = [], []
    seen_names = {}  # case-folded name -> canonical: no name may belong to two rows
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if not lines or lines[0] != "canonical\tcategory\taliases\tambiguous":
        sys.exit(f"{path}:1: header must be 'canonical<TAB>category<TAB>aliases<TAB>ambiguous'")
    for n, line in enumerate(lines[1:], start=2):
        if line.startswith("#") or not line.strip():
            continue
        cols = line.split("\t")
        if len(cols) != 4:
            errors.append(f"{path}:{n}: expected 4 columns, got {len(cols)}")
            continue
        canonical, category, aliases, amb = cols
        if not canonical or canonical != canonical.strip():
            errors.append(f"{path}:{n}: empty or padded canonical")
        if category not in CATEGORIES:
            errors.append(f"{path}:{n}: unknown category {category!r}")
        if amb not in ("yes", "no"):
            errors.append(f"{path}:{n}: ambiguous must be yes or no")
        alias_list = [a for a in aliases.split("|")] if aliases else []
        for a in alias_list:
            if not a or a != a.strip() or "  " in a:
                errors.append(f"{path}:{n}: empty or badly spaced alias {a!r}")
            if a == canonical:
                errors.append(f"{path}:{n}: alias repeats the canonical {a!r}")
        e = Entry(canonical, category, alias_list, amb == "yes", n)
        for name in [canonical] + alias_list:
            other = seen_names.setdefault(name.casefold(), canonical)
            if other != canonical:
                errors.append(f"{path}:{n}: name {name!r} also belongs to {other!r}")
        entries.append(e)
    canon = collections.Counter(e.canonical for e in entries)
    for c, k in canon.items():
        if k > 1:
            errors.append(f"{path}: canonical {c!r} appears {k} times")
    if errors:
        sys.exit("\n".join(errors))
    return entries


def name_regex(name, case_sensitive):
    parts = []
    for ch in name:
        if ch == " ":
            parts.append(r"\s+")
        elif ch == "-":
            parts.append("[- ]")
        else:
            parts.append(re.escape(ch))
    body = "".join(parts)
    return re.compile("(?=(" + body + "))", 0 if case_sensitive else re.IGNORECASE)


def prefilter_key(name, case_sensitive):
    runs = re.findall(r"[^\W_]+", name)
    key = max(runs, key=len) if runs else name
    return key if case_sensitive else key.lower()


# --- requested rule changes (docs/skills-taxonomy.md, "Rule changes requested") ---
# Simulated only with --proposed; the default run is the rules as specified.
#
# R1: ambiguity per name. The `ambiguous` column may list the names of the row
#     that are ambiguous (`yes` = all names, `no` = none). Below: what the
#     column would say for each ambiguous=yes row; other names of the row become
#     non-ambiguous (case-insensitive, no evidence needed). R1_EXTRA_NAMES are
#     ambiguous aliases that only become possible with R1 (today they would make
#     the whole row ambiguous).
R1_AMBIGUOUS_NAMES = {
    "Go": {"Go"}, "C": {"C"}, "R": {"R"}, "Swift": {"Swift"}, "Bash": {"Bash"},
    "React": {"React"}, "Spring": {"Spring"}, "Express": {"Express"},
    "Unity": {"Unity"}, "Cypress": {"Cypress"}, "Shiny": {"Shiny"},
    "Spark": {"Spark"}, "Hive": {"Hive"}, "Pig": {"Pig"}, "Airflow": {"Airflow"},
    "dbt": {"dbt", "DBT"}, "Oracle Database": {"Oracle"}, "Cassandra": {"Cassandra"},
    "AWS Glue": {"Glue"}, "Windows": {"Windows"}, "Helm": {"Helm"},
    "Packer": {"Packer"}, "Consul": {"Consul"}, "Eclipse": {"Eclipse"},
    "Excel": {"Excel"}, "SAFe": {"SAFe"}, "REST": {"REST"},
    # all other ambiguous=yes rows keep every name ambiguous
}
R1_EXTRA_NAMES = {"Shell scripting": ["Shell"], "Node.js": ["Node"]}
# R4: more qualifier phrases.
R4_QUALIFIERS = (
    "experience in", "experience using", "familiarity with", "understanding of",
    "proficiency with", "scripting", "programmer", "programmers",
)
# R3 (d): words that, next to a single-letter name, make it a grade/series/level.
R3_WORDS_BEFORE = {"series", "grade", "class", "type", "tier", "vitamin", "hepatitis",
                   "section", "schedule", "part", "plan", "option", "round"}
R3_WORDS_AFTER = {"level", "suite", "corp"}
ALL_PROPOSALS = ("R1", "R2", "R3", "R4", "R5")


def is_self_mention(name, org):
    """R5: the name is the hiring organization's own name ("Okta" for "Okta, Inc.")."""
    if not org:
        return False
    n, o = name.casefold(), org.casefold().strip()
    return o == n or (o.startswith(n) and not o[len(n)].isalnum())


class Matcher:
    def __init__(self, entries, proposed=()):
        self.entries = entries
        self.proposed = set(proposed)
        self.names = []  # (entry, name, regex, key, ambiguous)
        for e in entries:
            names = [e.canonical] + e.aliases
            amb = set(names) if e.ambiguous else set()
            if "R1" in self.proposed:
                if e.ambiguous and e.canonical in R1_AMBIGUOUS_NAMES:
                    amb = R1_AMBIGUOUS_NAMES[e.canonical]
                for extra in R1_EXTRA_NAMES.get(e.canonical, []):
                    names.append(extra)
                    amb = amb | {extra}
            for name in names:
                a = name in amb
                self.names.append((e, name, name_regex(name, a), prefilter_key(name, a), a))
        quals = QUALIFIERS + (R4_QUALIFIERS if "R4" in self.proposed else ())
        self.qualifier = re.compile(
            # longest first, so that "languages" is tried before "language"
            "|".join(name_regex(q, False).pattern[4:-2]
                     for q in sorted(quals, key=len, reverse=True)), re.IGNORECASE)

    def _left_ok(self, line, start):
        if start == 0:
            return True
        c = line[start - 1]
        if c.isalnum():
            return False
        # R2: a '.' glued to a word before the match also blocks ("BigBear.ai", "D.C.")
        if "R2" in self.proposed and c == "." and start >= 2 and line[start - 2].isalnum():
            return False
        return True

    @staticmethod
    def _right_ok(line, end):
        if end >= len(line):
            return True
        c = line[end]
        if c.isalnum() or c in "+#":
            return False
        if c == "." and end + 1 < len(line) and line[end + 1].isalnum():
            return False
        return True

    def has_qualifier(self, line):
        for m in self.qualifier.finditer(line):
            if self._left_ok(line, m.start()) and self._right_ok(line, m.end()):
                return True
        return False

    def _single_letter_blocked(self, line, s, t, starts, ends):
        nxt = line[t] if t < len(line) else ""
        prev = line[s - 1] if s > 0 else ""
        if nxt and nxt in SINGLE_LETTER_BLOCK_AFTER:
            return True
        if prev == "-":
            return True
        if nxt == "/" and t + 1 < len(line) and line[t + 1].isalpha() and (t + 1) not in starts:
            return True
        if "R3" in self.proposed:
            if prev == "&":
                return True  # SS&C, H&R Block, P&C, DVP&R
            # "R & D", "P & C": a single letter on the other side of a spaced '&'
            if re.match(r"\s+&\s*[A-Za-z](?![^\W_])", line[t:]):
                return True
            if re.search(r"(?<![^\W_])[A-Za-z]\s*&\s+$", line[:s]):
                return True
            # "DO-178B/C", "M/R", "B/C": glued '/' after a one-character token or a token
            # with a digit, where no skill name ends ("Ada/C", "C++/C", "SAS/R" still count)
            tok = re.search(r"[^\W_]+$", line[:s - 1]) if prev == "/" else None
            if tok and (s - 1) not in ends and (
                    len(tok.group(0)) == 1 or any(ch.isdigit() for ch in tok.group(0))):
                return True
            before = re.search(r"([^\W\d_]+)\s+$", line[:s])
            after = re.match(r"\s+([^\W\d_]+)", line[t:])
            if before and before.group(1).lower() in R3_WORDS_BEFORE:
                return True
            if after and after.group(1).lower() in R3_WORDS_AFTER:
                return True
        return False

    def candidates(self, line):
        low = line.lower()
        cands = []
        for e, name, rx, key, amb in self.names:
            if key not in (line if amb else low):
                continue
            for m in rx.finditer(line):
                s, t = m.start(1), m.end(1)
                if self._left_ok(line, s) and self._right_ok(line, t):
                    cands.append((s, t, e, name, amb))
        # single-letter rule (needs the other candidates for the '/' cases)
        starts = {c[0] for c in cands}
        ends = {c[1] for c in cands if len(c[3]) > 1}
        return [c for c in cands
                if not (len(c[3]) == 1 and c[3].isalpha()
                        and self._single_letter_blocked(line, c[0], c[1], starts, ends))]

    def match_line(self, line, org=None):
        """Return [(start, end, entry, name, counted)] for one line.
        org: the hiring organization's name (only used by R5)."""
        cands = self.candidates(line)
        if "R5" in self.proposed and org:
            # R5: a name that is the employer's own name needs evidence like an ambiguous one
            cands = [c[:4] + (c[4] or is_self_mention(c[3], org),) for c in cands]
        cands = sorted(cands, key=lambda c: (c[0], -(c[1] - c[0])))
        chosen, last_end = [], -1
        for c in cands:
            if c[0] >= last_end:
                chosen.append(c)
                last_end = c[1]
        evidence = any(not c[4] for c in chosen)
        if not evidence and any(c[4] for c in chosen):
            evidence = self.has_qualifier(line)
        return [(s, t, e, name, (not amb) or evidence) for s, t, e, name, amb in chosen]

    def skills_in_text(self, text, org=None):
        found = set()
        for line in text.split("\n"):
            for s, t, e, name, ok in self.match_line(line, org):
                if ok:
                    found.add(e.canonical)
        return found


def corpus_line(record_index):
    """1-based line of the gz corpus for a 0-based record of base-out.jsonl
    (corpus lines 106 and 1543 produced no record)."""
    n = record_index + 1
    if n >= 106:
        n += 1
    if n >= 1543:
        n += 1
    return n


def load_postings(path):
    """Yield (corpus_line, matched over sections?, [lines to match], hiring org name) per posting."""
    with open(path, encoding="utf-8") as f:
        for i, raw in enumerate(f):
            rec = json.loads(raw)
            desc = (rec.get("enrichment") or {}).get("description") or {}
            secs = [s for s in (desc.get("sections") or []) if s.get("kind") in SECTION_KINDS]
            texts = [s.get("text") or "" for s in secs] if secs else [desc.get("text") or ""]
            lines = []
            for t in texts:
                lines.extend(t.split("\n"))
            org = (rec.get("posting") or {}).get("hiringOrganization")
            org = org.get("name") if isinstance(org, dict) else org
            yield corpus_line(i), bool(secs), lines, org if isinstance(org, str) else None


def context(line, s, t, width=90):
    a, b = max(0, s - width), min(len(line), t + width)
    pre = ("…" if a > 0 else "") + line[a:s]
    post = line[t:b] + ("…" if b < len(line) else "")
    return f"{pre}[[{line[s:t]}]]{post}"


def run_corpus(m, args):
    per_posting = []
    hits = []  # (corpus_line, line, s, t, canonical, counted)
    n_fallback = 0
    for cl, has_secs, lines, org in load_postings(args.corpus):
        if not has_secs:
            n_fallback += 1
        found = set()
        for line in lines:
            for s, t, e, name, ok in m.match_line(line, org):
                hits.append((cl, line, s, t, e.canonical, ok))
                if ok:
                    found.add(e.canonical)
        per_posting.append(found)
    return per_posting, hits, n_fallback


def report(m, args):
    per_posting, hits, n_fallback = run_corpus(m, args)
    n = len(per_posting)
    with_skill = sum(1 for f in per_posting if f)
    total = sum(len(f) for f in per_posting)
    counted = [h for h in hits if h[5]]
    rejected = [h for h in hits if not h[5]]
    cats = collections.Counter(e.category for e in m.entries)
    print(f"taxonomy: {len(m.entries)} entries, {len(m.names)} names; "
          + ", ".join(f"{c} {cats[c]}" for c in CATEGORIES))
    print(f"postings: {n} ({n - n_fallback} matched over requirements+preferred, "
          f"{n_fallback} over the whole description)")
    print(f"postings with >=1 skill: {with_skill} ({100 * with_skill / n:.2f} %)")
    print(f"mean distinct skills per posting: {total / n:.2f} (all), "
          f"{total / max(with_skill, 1):.2f} (postings with >=1)")
    print(f"hits: {len(counted)} counted, {len(rejected)} ambiguous hits rejected for lack of evidence")
    freq = collections.Counter(c for f in per_posting for c in f)
    used = len(freq)
    print(f"entries hit at least once: {used} of {len(m.entries)}")
    print("\ntop 60 skills (postings):")
    for i, (c, k) in enumerate(freq.most_common(60), 1):
        print(f"{i:3d}. {c:<32} {k}")
    if args.unused:
        print("\nentries never hit:", ", ".join(sorted(e.canonical for e in m.entries if e.canonical not in freq)))
    rng = random.Random(args.seed)
    sample = rng.sample(counted, min(args.sample, len(counted)))
    print(f"\nrandom sample of {len(sample)} counted hits (seed {args.seed}):")
    for k, (cl, line, s, t, c, _) in enumerate(sample, 1):
        print(f"{k:2d}. line {cl} {c}: {context(line, s, t)}")


def show_name(m, args):
    _, hits, _ = run_corpus(m, args)
    sel = [h for h in hits if h[4] == args.name and (h[5] or args.rejected)]
    print(f"{args.name}: {sum(1 for h in sel if h[5])} counted"
          + (f", {sum(1 for h in sel if not h[5])} rejected" if args.rejected else ""))
    if args.limit and len(sel) > args.limit:
        sel = random.Random(args.seed).sample(sel, args.limit)
    for cl, line, s, t, c, ok in sel:
        print(f"{'+' if ok else '-'} line {cl}: {context(line, s, t)}")


def check_cases(m, path):
    bad = 0
    total = 0
    with open(path, encoding="utf-8") as f:
        rows = f.read().split("\n")
    if rows[0] != "text\texpected":
        sys.exit(f"{path}:1: header must be 'text<TAB>expected'")
    for n, row in enumerate(rows[1:], start=2):
        if not row or row.startswith("#"):
            continue
        text, _, expected = row.partition("\t")
        text = text.replace("\\n", "\n")
        want = sorted(x for x in expected.split("|") if x)
        got = sorted(m.skills_in_text(text))
        total += 1
        if want != got:
            bad += 1
            print(f"{path}:{n}: {text!r}\n  expected {'|'.join(want)!r}\n  got      {'|'.join(got)!r}")
    print(f"{total - bad}/{total} cases pass")
    return bad == 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tsv", default=DEFAULT_TSV)
    ap.add_argument("--corpus", default=DEFAULT_CORPUS)
    ap.add_argument("--seed", type=int, default=2021)
    ap.add_argument("--sample", type=int, default=40)
    ap.add_argument("--unused", action="store_true", help="list entries never hit")
    ap.add_argument("--name", help="list the hits of one canonical")
    ap.add_argument("--rejected", action="store_true", help="with --name: also hits rejected for lack of evidence")
    ap.add_argument("--limit", type=int, default=0, help="with --name: random sample of at most N hits")
    ap.add_argument("--cases", help="check a cases TSV (text<TAB>expected)")
    ap.add_argument("--text", help="match one text and print the hits")
    ap.add_argument("--proposed", nargs="?", const=",".join(ALL_PROPOSALS), default="",
                    help="simulate requested rule changes (all, or a list such as R1,R3)")
    args = ap.parse_args()
    proposed = [p for p in args.proposed.split(",") if p]
    for p in proposed:
        if p not in ALL_PROPOSALS:
            sys.exit(f"unknown proposal {p!r} (known: {', '.join(ALL_PROPOSALS)})")
    m = Matcher(load_taxonomy(args.tsv), proposed)
    if proposed:
        print(f"(simulating requested rule changes {', '.join(proposed)})")
    if args.cases:
        sys.exit(0 if check_cases(m, args.cases) else 1)
    if args.text is not None:
        for line in args.text.split("\n"):
            for s, t, e, name, ok in m.match_line(line):
                print(f"{'+' if ok else '-'} {e.canonical} ({name!r}): {context(line, s, t)}")
        return
    if args.name:
        show_name(m, args)
    else:
        report(m, args)


if __name__ == "__main__":
    main()

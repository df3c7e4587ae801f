//! Named skills and technologies (Python, PostgreSQL, Kubernetes, CISSP)
//! from the requirement and preferred sections (the whole description when
//! a posting has neither), matched against the curated taxonomy in
//! `data/skills.tsv` and reported by canonical name.
//!
//! Precision first. Names match on word boundaries ("Java" is not in
//! "JavaScript", "C" not in "C++" or "C-level"). Names that are also
//! ordinary words or letters ("Go", "R", "Spark", "Excel") are marked
//! ambiguous in the data: they match only as written (case-sensitive) and
//! count only with evidence on the same line, another unambiguous skill
//! ("Go, Python or Java") or a word such as "programming" or "experience
//! with". Rules and the measured precision: docs/skills-taxonomy.md.

use std::sync::{Arc, OnceLock};

use serde::Serialize;

use super::phrases::Phrases;
use super::sections::{self, Section, SectionKind};
use super::stage::{StageOutcome, Staged};

const TAXONOMY_TSV: &str = include_str!("../../data/skills.tsv");

/// One skill named by a posting.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Skill {
    /// Canonical name from the taxonomy ("PostgreSQL" for "Postgres").
    pub name: Arc<str>,
    pub category: Arc<str>,
    /// Where it was first named: `requirements`, `preferred`, `tech_stack`,
    /// or `description` when the posting has none of those sections.
    pub section: &'static str,
}

/// Words that make an ambiguous name count (matched on word boundaries,
/// any case).
const QUALIFIERS: [&str; 21] = [
    "language",
    "languages",
    "programming",
    "developer",
    "development",
    "lang",
    "framework",
    "stack",
    "tools",
    "experience with",
    "experience in",
    "experience using",
    "proficiency in",
    "proficiency with",
    "proficient in",
    "knowledge of",
    "familiarity with",
    "understanding of",
    "scripting",
    "programmer",
    "programmers",
];

/// Words next to a single letter that make it a grade, series or level
/// ("Series C", "C-level", "Grade R").
const LETTER_WORDS_BEFORE: [&str; 13] = [
    "series",
    "grade",
    "class",
    "type",
    "tier",
    "vitamin",
    "hepatitis",
    "section",
    "schedule",
    "part",
    "plan",
    "option",
    "round",
];
const LETTER_WORDS_AFTER: [&str; 3] = ["level", "suite", "corp"];

struct Entry {
    name: Arc<str>,
    category: Arc<str>,
}

/// One searchable spelling of an entry.
struct Pattern {
    entry: usize,
    /// Ambiguous spellings match only exactly as written.
    ambiguous: bool,
    spelling: Box<str>,
}

impl Pattern {
    /// Whether the text the automaton (which ignores ASCII case) matched
    /// is this spelling: in any case, or as written when ambiguous.
    fn accepts(&self, matched: &str) -> bool {
        !self.ambiguous || *self.spelling == *matched
    }
}

pub struct Taxonomy {
    entries: Vec<Entry>,
    /// Every spelling longer than one byte, matched in any ASCII case
    /// (ambiguous ones checked as written after a match): one pass over
    /// the text as it is. A letter and its other case share a byte class,
    /// so ignoring case costs the table nothing (sizes against the
    /// aho-corasick DFA: docs/performance.md).
    names: Phrases,
    patterns: Vec<Pattern>,
    /// One-letter spellings ("C", "R"), found byte by byte: in the
    /// automaton they would report a match at every such letter.
    letters: Vec<(u8, Pattern)>,
    /// Bytes that may be a one-letter spelling (found with `memchr` when
    /// there are at most three, as in the shipped taxonomy).
    letter_triggers: Vec<u8>,
    qualifiers: Phrases,
}

/// `[enrich.skills]`.
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct SkillsOptions {
    /// A taxonomy of `data/skills.tsv`'s shape replacing the embedded one
    /// (`None`, written "": embedded).
    #[serde(with = "crate::unset_if_empty")]
    pub taxonomy_file: Option<std::path::PathBuf>,
}

/// A problem in a taxonomy file: `data/skills.tsv` (caught by a unit test,
/// so never at run time) or the file `enrich.skills.taxonomy_file` names.
#[derive(Debug, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct TaxonomyError {
    line: usize,
    message: String,
}

/// The skills stage: skills named in the requirement and preferred
/// sections (and the description text), with the taxonomy in use (the
/// shipped one unless the config names a file). Ok with at least one
/// skill; absent without description text; failed when the text named
/// none.
pub fn run(
    taxonomy: &Taxonomy,
    sections: &[Section],
    text: &str,
    company: Option<&str>,
) -> Staged<Vec<Skill>> {
    let skills = taxonomy.skills(sections, text, company);
    let outcome = if !skills.is_empty() {
        StageOutcome::Ok
    } else if text.is_empty() {
        StageOutcome::Absent
    } else {
        StageOutcome::Failed
    };
    Staged::new(skills, outcome)
}

impl Taxonomy {
    /// The embedded taxonomy, parsed once.
    pub fn shared() -> Option<Arc<Taxonomy>> {
        static SHARED: OnceLock<Option<Arc<Taxonomy>>> = OnceLock::new();
        SHARED
            .get_or_init(|| Taxonomy::parse(TAXONOMY_TSV).ok().map(Arc::new))
            .clone()
    }

    /// The embedded taxonomy's text (`data/skills.tsv`).
    pub fn embedded_tsv() -> &'static str {
        TAXONOMY_TSV
    }

    pub fn parse(tsv: &str) -> Result<Taxonomy, TaxonomyError> {
        let err = |line: usize, message: String| TaxonomyError { line, message };
        let mut entries = Vec::new();
        let (mut names_all, mut patterns, mut letters) = (Vec::new(), Vec::new(), Vec::new());
        for (n, line) in tsv.lines().enumerate().skip(1) {
            if line.starts_with('#') || line.trim().is_empty() {
                continue;
            }
            let cols: Vec<&str> = line.split('\t').collect();
            let [canonical, category, aliases, ambiguous] = cols[..] else {
                return Err(err(n + 1, format!("expected 4 columns: {line:?}")));
            };
            let names: Vec<&str> = std::iter::once(canonical)
                .chain(aliases.split('|').filter(|a| !a.is_empty()))
                .collect();
            // An empty name would match everywhere, inside characters too.
            if names.iter().any(|n| n.trim().is_empty()) {
                return Err(err(n + 1, "empty name".to_string()));
            }
            // `yes`: every name is ambiguous; `no`: none; else the names that are.
            let ambiguous_names: Vec<&str> = match ambiguous {
                "yes" => names.clone(),
                "no" => Vec::new(),
                list => list.split('|').collect(),
            };
            if let Some(unknown) = ambiguous_names.iter().find(|a| !names.contains(a)) {
                return Err(err(
                    n + 1,
                    format!("ambiguous name {unknown:?} is not a name of the row"),
                ));
            }
            let entry = entries.len();
            entries.push(Entry {
                name: canonical.into(),
                category: category.into(),
            });
            for name in names {
                let ambiguous = ambiguous_names.contains(&name);
                // Lines are whitespace-collapsed; a hyphen may also be a space.
                let mut spellings = vec![name.to_string()];
                if name.contains('-') {
                    spellings.push(name.replace('-', " "));
                }
                for s in spellings {
                    let pattern = Pattern {
                        entry,
                        ambiguous,
                        spelling: s.as_str().into(),
                    };
                    match s.as_bytes() {
                        [letter] => letters.push((*letter, pattern)),
                        _ => {
                            names_all.push(s.to_ascii_lowercase());
                            patterns.push(pattern);
                        }
                    }
                }
            }
        }
        // Overlapping search: one table step per byte.
        let names = Phrases::ascii_case_insensitive(&names_all).map_err(|e| err(0, e))?;
        // An ambiguous letter only as written, another in either case.
        let mut letter_triggers: Vec<u8> = letters
            .iter()
            .flat_map(|(letter, p)| {
                let other_case = (!p.ambiguous)
                    .then(|| [letter.to_ascii_lowercase(), letter.to_ascii_uppercase()]);
                std::iter::once(*letter).chain(other_case.into_iter().flatten())
            })
            .collect();
        letter_triggers.sort_unstable();
        letter_triggers.dedup();
        if entries.is_empty() {
            return Err(err(
                1,
                "no skills (a header line and one skill per line)".into(),
            ));
        }
        Ok(Taxonomy {
            names,
            patterns,
            letters,
            letter_triggers,
            qualifiers: Phrases::ascii_case_insensitive(&QUALIFIERS).map_err(|e| err(0, e))?,
            entries,
        })
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Entries named in one line of text, in order of appearance.
    pub fn line_skills(&self, line: &str, company: Option<&str>) -> Vec<usize> {
        let mut found = Vec::new();
        self.text_skills_into(line, company, &mut Vec::new(), &mut found);
        found
    }

    /// Entries named in each line of `text`, line after line, with the
    /// caller's buffers (one per posting). The automaton runs once over
    /// the whole text and its matches are handed out line by line: no
    /// spelling holds a line break, so none crosses one.
    fn text_skills_into<'t>(
        &'t self,
        text: &str,
        company: Option<&str>,
        candidates: &mut Vec<(usize, usize, &'t Pattern)>,
        found: &mut Vec<usize>,
    ) {
        let bytes = text.as_bytes();
        let mut named = self.names.occurrences(bytes).peekable();
        let mut next_letter = self.next_letter(bytes, 0);
        let mut line_start = 0;
        for line in text.split('\n') {
            let line_end = line_start + line.len();
            // Every boundary-valid candidate, then leftmost-longest without overlaps.
            candidates.clear();
            while let Some(m) = named.next_if(|m| m.end <= line_end) {
                let (Some(start), Some(end)) = (
                    m.start.checked_sub(line_start),
                    m.end.checked_sub(line_start),
                ) else {
                    continue;
                };
                if let Some(p) = self.patterns.get(m.phrase)
                    && line
                        .get(start..end)
                        .is_some_and(|matched| p.accepts(matched))
                    && on_boundaries(line, start, end, self)
                {
                    candidates.push((start, end, p));
                }
            }
            while let Some(at) = next_letter.filter(|&at| at < line_end) {
                next_letter = self.next_letter(bytes, at + 1);
                let (Some(i), Some(&b)) = (at.checked_sub(line_start), bytes.get(at)) else {
                    continue;
                };
                for p in self.letter_patterns(b) {
                    if on_boundaries(line, i, i + 1, self) {
                        candidates.push((i, i + 1, p));
                    }
                }
            }
            self.line_decides(line, company, candidates, found);
            line_start = line_end + 1;
        }
    }

    /// The next byte at or after `from` that may be a one-letter spelling:
    /// `memchr` over the two or three such bytes the taxonomy has.
    fn next_letter(&self, bytes: &[u8], from: usize) -> Option<usize> {
        let rest = bytes.get(from..)?;
        let found = match self.letter_triggers.as_slice() {
            [] => None,
            [a] => memchr::memchr(*a, rest),
            [a, b] => memchr::memchr2(*a, *b, rest),
            [a, b, c] => memchr::memchr3(*a, *b, *c, rest),
            _ => rest.iter().position(|b| self.letter_triggers.contains(b)),
        };
        found.map(|i| i + from)
    }

    /// The line's candidates (positions in `line`) to the entries it names.
    fn line_decides<'t>(
        &'t self,
        line: &str,
        company: Option<&str>,
        candidates: &mut Vec<(usize, usize, &'t Pattern)>,
        found: &mut Vec<usize>,
    ) {
        // The employer naming itself ("At VMware, we...") is not a skill.
        if let Some(company) = company.map(str::trim).filter(|c| !c.is_empty()) {
            candidates.retain(|c| !names_company(&line[c.0..c.1], company));
        }
        if candidates.is_empty() {
            return;
        }
        // Same span: the unambiguous spelling first.
        candidates.sort_by_key(|&(start, end, p)| (start, std::cmp::Reverse(end), p.ambiguous));
        let mut taken_to = 0;
        candidates.retain(|c| {
            let keep = c.0 >= taken_to;
            if keep {
                taken_to = c.1;
            }
            keep
        });
        // Evidence is looked for only when an ambiguous name needs it.
        let evidence = !candidates.iter().any(|c| c.2.ambiguous)
            || candidates.iter().any(|c| !c.2.ambiguous)
            || self.has_qualifier(line);
        found.extend(
            candidates
                .iter()
                .filter(|c| !c.2.ambiguous || evidence)
                .map(|c| c.2.entry),
        );
    }

    /// Whether `text` starts with a whole spelling ("Python" in "Python and
    /// SQL").
    fn starts_with_name(&self, text: &str) -> bool {
        let named = self.names.occurrences(text.as_bytes()).any(|m| {
            m.start == 0
                && self
                    .patterns
                    .get(m.phrase)
                    .zip(text.get(m.start..m.end))
                    .is_some_and(|(p, matched)| p.accepts(matched))
                && word_bounded(text, 0, m.end)
        });
        named
            || text.as_bytes().first().is_some_and(|&b| {
                self.letter_patterns(b).next().is_some() && word_bounded(text, 0, 1)
            })
    }

    /// The one-letter spellings that byte `b` is.
    fn letter_patterns(&self, b: u8) -> impl Iterator<Item = &Pattern> {
        self.letters.iter().filter_map(move |(letter, p)| {
            let hit = if p.ambiguous {
                b == *letter
            } else {
                b.eq_ignore_ascii_case(letter)
            };
            hit.then_some(p)
        })
    }

    fn has_qualifier(&self, line: &str) -> bool {
        self.qualifiers
            .occurrences(line.as_bytes())
            .any(|m| word_bounded(line, m.start, m.end))
    }

    /// Skills of a posting: requirement and preferred sections first, the
    /// whole text when there are none. Each skill once, first mention first.
    // Not inlined: scripts/bench-instructions counts this stage by its name.
    #[inline(never)]
    pub fn skills(&self, sections: &[Section], text: &str, company: Option<&str>) -> Vec<Skill> {
        let mut found: Vec<Skill> = Vec::new();
        let mut seen = vec![false; self.entries.len()];
        // Buffers sized once per posting rather than grown a step at a time.
        let (mut candidates, mut entries) = (Vec::with_capacity(32), Vec::with_capacity(32));
        let mut add = |text: &str, section: &'static str| {
            entries.clear();
            self.text_skills_into(text, company, &mut candidates, &mut entries);
            for &e in &entries {
                if let (Some(s), Some(entry)) = (seen.get_mut(e), self.entries.get(e))
                    && !*s
                {
                    *s = true;
                    found.push(Skill {
                        name: entry.name.clone(),
                        category: entry.category.clone(),
                        section,
                    });
                }
            }
        };
        let mut any_section = false;
        for kind in [SectionKind::Requirements, SectionKind::Preferred] {
            for s in sections.iter().filter(|s| s.kind == kind) {
                any_section = true;
                add(s.heading.as_deref().unwrap_or(""), kind.as_str());
                add(&s.text, kind.as_str());
            }
        }
        // The team's stack names skills too, though it is not a requirement.
        for s in sections.iter().filter(|s| {
            s.kind == SectionKind::Other
                && s.heading.as_deref().is_some_and(sections::is_tech_stack)
        }) {
            any_section = true;
            add(&s.text, "tech_stack");
        }
        if !any_section {
            add(text, "description");
        }
        found
    }
}

/// "VMware" names "VMware, Inc."; "Go" does not name "Gopuff".
fn names_company(matched: &str, company: &str) -> bool {
    company
        .get(..matched.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(matched))
        && !company[matched.len()..]
            .chars()
            .next()
            .is_some_and(char::is_alphanumeric)
}

fn bare_word(w: &str) -> &str {
    w.trim_matches(|c: char| !c.is_alphanumeric())
}

fn word_bounded(line: &str, start: usize, end: usize) -> bool {
    let before = line[..start].chars().next_back();
    let after = line[end..].chars().next();
    !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
}

/// The match is a whole name: not inside a word, not "C" of "C++"/"C#",
/// not "Node" of "Node.js"; a single letter is not a grade or a level.
fn on_boundaries(line: &str, start: usize, end: usize, taxonomy: &Taxonomy) -> bool {
    let mut back = line[..start].chars().rev();
    let before = back.next();
    let before2 = back.next();
    let mut rest = line[end..].chars();
    let after = rest.next();
    let after2 = rest.next();
    if before.is_some_and(char::is_alphanumeric) || after.is_some_and(char::is_alphanumeric) {
        return false;
    }
    // Part of a dotted word: "acme.ai", "index.html", "D.C.".
    if before == Some('.') && before2.is_some_and(char::is_alphanumeric) {
        return false;
    }
    if matches!(after, Some('+' | '#'))
        || (after == Some('.') && after2.is_some_and(char::is_alphanumeric))
    {
        return false;
    }
    let name = &line[start..end];
    if name.chars().count() == 1 {
        if matches!(before, Some('-' | '&')) || matches!(after, Some('&' | '-' | '\'' | '’')) {
            return false;
        }
        // "R & D", "P & C": two letters around an ampersand.
        let lone_letter = |s: &str| {
            let mut c = s.chars();
            c.next().is_some_and(char::is_alphabetic)
                && !c.next().is_some_and(char::is_alphanumeric)
        };
        if line[end..].strip_prefix(" & ").is_some_and(lone_letter)
            || line[..start]
                .strip_suffix(" & ")
                .is_some_and(|b| lone_letter(&b.chars().rev().collect::<String>()))
        {
            return false;
        }
        // "R/Python" and "C/C++" name languages; "A/B testing" does not.
        if after == Some('/')
            && after2.is_some_and(char::is_alphabetic)
            && !taxonomy.starts_with_name(&line[end + 1..])
        {
            return false;
        }
        let prev_word = line[..start].split_whitespace().next_back().map(bare_word);
        let next_word = line[end..].split_whitespace().next().map(bare_word);
        let is_one_of = |w: Option<&str>, list: &[&str]| {
            w.is_some_and(|w| list.iter().any(|l| l.eq_ignore_ascii_case(w)))
        };
        if is_one_of(prev_word, &LETTER_WORDS_BEFORE) || is_one_of(next_word, &LETTER_WORDS_AFTER) {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The names' table stays well inside one core's L2 cache, which is
    /// what each search step waits on.
    #[test]
    fn the_names_table_is_under_a_megabyte() {
        let taxonomy = Taxonomy::shared().expect("taxonomy");
        let bytes = taxonomy.names.memory_usage();
        assert!(bytes < 1 << 20, "{bytes} bytes");
    }

    /// Skills of a text as the pipeline gives it: lines whitespace-collapsed
    /// by the decoder, "\n" in the case file a line break.
    fn names(text: &str) -> Vec<String> {
        let t = Taxonomy::shared().expect("taxonomy parses");
        let text = text.replace("\\n", "\n");
        let mut v: Vec<String> = text
            .lines()
            .flat_map(|l| t.line_skills(&l.split_whitespace().collect::<Vec<_>>().join(" "), None))
            .map(|e| t.entries[e].name.to_string())
            .collect();
        v.sort();
        v.dedup();
        v
    }

    #[test]
    fn the_taxonomy_parses_with_hundreds_of_entries() {
        let t = Taxonomy::parse(TAXONOMY_TSV).expect("data/skills.tsv parses");
        assert!(t.len() > 300, "{} entries", t.len());
    }

    /// tests/data/skills-cases.tsv: a line, and the canonical names it gives.
    #[test]
    fn skill_cases() {
        // Read at run time: test data stays out of the binary and the image.
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/skills-cases.tsv");
        let cases = std::fs::read_to_string(path).expect("read skills-cases.tsv");
        let mut checked = 0;
        let mut wrong = Vec::new();
        for line in cases.lines().skip(1) {
            if line.starts_with('#') || line.trim().is_empty() {
                continue;
            }
            let (text, expected) = line.split_once('\t').unwrap_or((line, ""));
            let mut expected: Vec<String> = expected
                .split('|')
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect();
            expected.sort();
            let got = names(text);
            if got != expected {
                wrong.push(format!("{text:?}: got {got:?}, expected {expected:?}"));
            }
            checked += 1;
        }
        assert!(checked >= 40, "only {checked} cases");
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }

    #[test]
    fn the_employer_is_not_its_own_skill() {
        let t = Taxonomy::shared().expect("taxonomy parses");
        let text = "At VMware we use Python";
        let own: Vec<String> = t
            .skills(&[], text, Some("VMware, Inc."))
            .into_iter()
            .map(|s| s.name.to_string())
            .collect();
        assert!(!own.iter().any(|n| n == "VMware"), "{own:?}");
        assert!(own.iter().any(|n| n == "Python"), "{own:?}");
        let other = t.skills(&[], text, Some("Acme"));
        assert!(other.iter().any(|s| &*s.name == "VMware"));
        assert!(other.iter().all(|s| s.section == "description"));
    }

    #[test]
    fn words_that_are_also_skills_need_evidence() {
        assert!(names("Go above and beyond for customers").is_empty());
        assert!(names("R&D experience in a C-level role").is_empty());
        assert_eq!(names("Go, Python or Java"), ["Go", "Java", "Python"]);
        assert!(names("JavaScript").iter().all(|n| n != "Java"));
    }
}

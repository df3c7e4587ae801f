//! The one phrase-matching facility of the rule tables: a fixed set of
//! phrases (skill names, heading phrasings, cues, currency markers) and
//! where they occur in a text. Every stage that matches phrases uses
//! [`Phrases`]; what counts as a match beyond the bytes (a word start, a
//! whole word) is the caller's rule, read from [`PhraseMatch`].
//!
//! Underneath, a dense Aho–Corasick automaton walked one table load per
//! byte. Why not the aho-corasick crate's DFA, which finds the same
//! matches: its search loop is generic over match kinds, anchoring and
//! prefilters and cost several times this table's per byte here
//! (docs/performance.md); the skill names are searched over every
//! requirement line of every posting, where that loop was the largest
//! single cost. This table also is smaller: byte classes (one for each
//! byte the phrases use and one for every other byte) and `u32` state ids
//! premultiplied by the row length. The states where a
//! phrase ends are numbered last, so one comparison tells them.

use std::ops::Range;

/// Sets up to this size get the packed searcher (its own limit is 64
/// patterns; small sets are where it is fast).
const PACKED_MAX_PHRASES: usize = 32;

/// A fixed set of phrases, searched for all at once.
pub struct Phrases {
    /// Byte -> class; class 0 is every byte no name uses.
    classes: [u8; 256],
    /// Row length: the number of classes.
    stride: usize,
    /// `transitions[state + class]`: the next state (premultiplied).
    transitions: Vec<u32>,
    /// States from here on end a name.
    first_ending: u32,
    /// The names ending in state row `r` are
    /// `ends[ends_at[r]..ends_at[r + 1]]`.
    ends_at: Vec<u32>,
    ends: Vec<u32>,
    lengths: Vec<usize>,
    /// For [`Phrases::occurs_in`] on a small case-sensitive set:
    /// aho-corasick's packed (Teddy, SIMD) searcher, which skips most of a
    /// paragraph without stepping through it; the automaton walks every
    /// byte, several times the cost on the section and salary cue checks
    /// (docs/performance.md). Which phrases occur does not depend on it.
    packed: Option<aho_corasick::packed::Searcher>,
}

/// One occurrence: `hay[start..end]` is phrase number `phrase`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PhraseMatch {
    pub start: usize,
    pub end: usize,
    /// The phrase's position in the list the set was built from.
    pub phrase: usize,
}

impl Phrases {
    /// The automaton of `names` (ids are their positions). Empty names
    /// are refused: they would match everywhere.
    pub fn new<S: AsRef<[u8]>>(names: &[S]) -> Result<Phrases, String> {
        Phrases::build(names, false)
    }

    /// The same, with ASCII letters matching in either case (a letter and
    /// its other case share a byte class, so the table does not grow).
    pub fn ascii_case_insensitive<S: AsRef<[u8]>>(names: &[S]) -> Result<Phrases, String> {
        Phrases::build(names, true)
    }

    fn build<S: AsRef<[u8]>>(names: &[S], fold: bool) -> Result<Phrases, String> {
        if names.iter().any(|n| n.as_ref().is_empty()) {
            return Err("an empty name".into());
        }
        let mut classes = [0u8; 256];
        let mut stride = 1usize;
        for name in names {
            for &b in name.as_ref() {
                let b = if fold { b.to_ascii_lowercase() } else { b };
                if classes[usize::from(b)] == 0 {
                    classes[usize::from(b)] =
                        u8::try_from(stride).map_err(|_| "more than 255 byte classes")?;
                    stride += 1;
                }
            }
        }
        if fold {
            for upper in b'A'..=b'Z' {
                classes[usize::from(upper)] = classes[usize::from(upper.to_ascii_lowercase())];
            }
        }
        // The trie: `goto[row * stride + class]`, NONE where it has no edge.
        const NONE: u32 = u32::MAX;
        let mut goto = vec![NONE; stride];
        let mut own: Vec<Vec<u32>> = vec![Vec::new()];
        for (id, name) in names.iter().enumerate() {
            let mut row = 0usize;
            for &b in name.as_ref() {
                let slot = row * stride + usize::from(classes[usize::from(b)]);
                row = match goto.get(slot).copied() {
                    Some(next) if next != NONE => next as usize,
                    _ => {
                        let next = own.len();
                        goto.extend(std::iter::repeat_n(NONE, stride));
                        own.push(Vec::new());
                        if let Some(edge) = goto.get_mut(slot) {
                            *edge = u32::try_from(next).map_err(|_| "too many states")?;
                        }
                        next
                    }
                };
            }
            if let Some(ends) = own.get_mut(row) {
                ends.push(u32::try_from(id).map_err(|_| "too many names")?);
            }
        }
        let rows = own.len();
        if rows
            .checked_mul(stride)
            .is_none_or(|n| n > u32::MAX as usize)
        {
            return Err("automaton too large".into());
        }
        // Failure links in breadth-first order: a row's missing edges are
        // those of its failure row, complete by then (it is shallower).
        let mut fail = vec![0usize; rows];
        let mut ends: Vec<Vec<u32>> = own;
        let mut queue = std::collections::VecDeque::from([0usize]);
        while let Some(row) = queue.pop_front() {
            for class in 0..stride {
                let slot = row * stride + class;
                let child = goto.get(slot).copied().unwrap_or(NONE);
                let via_fail = if row == 0 {
                    0
                } else {
                    let f = fail.get(row).copied().unwrap_or(0);
                    goto.get(f * stride + class).copied().unwrap_or(0)
                };
                if child == NONE {
                    if let Some(edge) = goto.get_mut(slot) {
                        *edge = via_fail;
                    }
                    continue;
                }
                let child = child as usize;
                if let Some(f) = fail.get_mut(child) {
                    *f = via_fail as usize;
                }
                // A name ending at the failure row ends here too.
                let inherited = ends.get(via_fail as usize).cloned().unwrap_or_default();
                if let Some(e) = ends.get_mut(child) {
                    e.extend(inherited);
                }
                queue.push_back(child);
            }
        }
        // Renumbered: the root stays first, the rows where a name ends go
        // last (a name never ends at the root: none is empty).
        let mut order: Vec<usize> = (0..rows).collect();
        order.sort_by_key(|&row| ends.get(row).is_some_and(|e| !e.is_empty()));
        let mut new_id = vec![0u32; rows];
        for (new, &old) in order.iter().enumerate() {
            if let Some(id) = new_id.get_mut(old) {
                *id = (new * stride) as u32;
            }
        }
        let first_ending = order
            .iter()
            .position(|&row| ends.get(row).is_some_and(|e| !e.is_empty()))
            .map_or(u32::MAX, |at| (at * stride) as u32);
        let mut transitions = Vec::with_capacity(rows * stride);
        let mut ends_at = Vec::with_capacity(rows + 1);
        let mut flat = Vec::new();
        for &old in &order {
            let row = goto.get(old * stride..(old + 1) * stride).unwrap_or(&[]);
            transitions.extend(
                row.iter()
                    .map(|&next| new_id.get(next as usize).copied().unwrap_or(0)),
            );
            ends_at.push(u32::try_from(flat.len()).map_err(|_| "too many matches")?);
            flat.extend_from_slice(ends.get(old).map_or(&[][..], Vec::as_slice));
        }
        ends_at.push(u32::try_from(flat.len()).map_err(|_| "too many matches")?);
        Ok(Phrases {
            classes,
            stride,
            transitions,
            first_ending,
            ends_at,
            ends: flat,
            lengths: names.iter().map(|n| n.as_ref().len()).collect(),
            packed: if fold || names.len() > PACKED_MAX_PHRASES {
                None
            } else {
                aho_corasick::packed::Config::new()
                    .builder()
                    .extend(names)
                    .build()
            },
        })
    }

    /// Every occurrence of every name in `hay`, by end position (names
    /// ending at the same byte: longest first).
    pub fn occurrences<'a>(&'a self, hay: &'a [u8]) -> Occurrences<'a> {
        Occurrences {
            automaton: self,
            hay,
            at: 0,
            state: 0,
            pending: [].iter(),
        }
    }

    /// Whether any phrase occurs in `hay`.
    pub fn occurs_in(&self, hay: &[u8]) -> bool {
        match &self.packed {
            Some(packed) => packed.find(hay).is_some(),
            None => self.occurrences(hay).next().is_some(),
        }
    }

    /// The lines of `text` (split at "\n") in which a phrase occurs, as
    /// byte ranges without their "\n", in order. With the packed searcher
    /// the text between them is skipped, not stepped through: a cheap way
    /// to find the few lines worth a closer look. (No phrase may contain a
    /// "\n".)
    pub fn lines_containing<'a>(
        &'a self,
        text: &'a str,
    ) -> impl Iterator<Item = Range<usize>> + 'a {
        let bytes = text.as_bytes();
        let mut from = 0;
        std::iter::from_fn(move || {
            let rest = bytes.get(from..)?;
            let at = from
                + match &self.packed {
                    Some(packed) => packed
                        .find_in(rest, aho_corasick::Span::from(0..rest.len()))?
                        .start(),
                    // The first occurrence to end is on the first line that
                    // holds one (an occurrence never spans lines).
                    None => self.occurrences(rest).next()?.start,
                };
            let start = memchr::memrchr(b'\n', bytes.get(..at)?).map_or(0, |i| i + 1);
            let end = memchr::memchr(b'\n', bytes.get(at..)?).map_or(bytes.len(), |i| at + i);
            from = end + 1;
            Some(start..end)
        })
    }

    /// The occurrences that stand as whole words: no ASCII letter or digit
    /// right before or right after.
    pub fn whole_word_occurrences<'a>(
        &'a self,
        hay: &'a [u8],
    ) -> impl Iterator<Item = PhraseMatch> + 'a {
        self.occurrences(hay).filter(move |m| {
            let before = m.start.checked_sub(1).and_then(|i| hay.get(i));
            !before.is_some_and(u8::is_ascii_alphanumeric)
                && !hay.get(m.end).is_some_and(u8::is_ascii_alphanumeric)
        })
    }

    #[cfg(test)]
    pub fn memory_usage(&self) -> usize {
        (self.transitions.len() + self.ends_at.len() + self.ends.len()) * 4
            + self.lengths.len() * std::mem::size_of::<usize>()
            + 256
    }

    /// The names ending in `state`.
    fn ends_in(&self, state: u32) -> &[u32] {
        let row = state as usize / self.stride;
        let from = self.ends_at.get(row).copied().unwrap_or(0) as usize;
        let to = self.ends_at.get(row + 1).copied().unwrap_or(0) as usize;
        self.ends.get(from..to).unwrap_or(&[])
    }
}

pub struct Occurrences<'a> {
    automaton: &'a Phrases,
    hay: &'a [u8],
    /// Bytes read so far.
    at: usize,
    state: u32,
    /// Names ending at `at` not yet reported.
    pending: std::slice::Iter<'a, u32>,
}

impl Iterator for Occurrences<'_> {
    type Item = PhraseMatch;

    fn next(&mut self) -> Option<PhraseMatch> {
        let a = self.automaton;
        loop {
            if let Some(&name) = self.pending.next() {
                let len = a.lengths.get(name as usize).copied().unwrap_or(0);
                return Some(PhraseMatch {
                    start: self.at.saturating_sub(len),
                    end: self.at,
                    phrase: name as usize,
                });
            }
            // The walk: one class and one table load per byte.
            let rest = self.hay.get(self.at..)?;
            let (transitions, classes) = (a.transitions.as_slice(), &a.classes);
            let first_ending = a.first_ending;
            let mut state = self.state;
            let ended = rest.iter().position(|&b| {
                let next = state as usize + usize::from(classes[usize::from(b)]);
                state = transitions.get(next).copied().unwrap_or(0);
                state >= first_ending
            });
            self.state = state;
            let Some(at) = ended else {
                self.at = self.hay.len();
                return None;
            };
            self.at += at + 1;
            self.pending = a.ends_in(state).iter();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(names: &[&str], hay: &str) -> Vec<(usize, usize, usize)> {
        let a = Phrases::new(names).expect("automaton");
        let mut got: Vec<_> = a
            .occurrences(hay.as_bytes())
            .map(|m| (m.start, m.end, m.phrase))
            .collect();
        got.sort_unstable();
        got
    }

    /// The plain definition: every position, every name.
    fn by_scan(names: &[&str], hay: &str) -> Vec<(usize, usize, usize)> {
        let mut out = Vec::new();
        for start in 0..hay.len() {
            for (id, n) in names.iter().enumerate() {
                if hay.as_bytes()[start..].starts_with(n.as_bytes()) {
                    out.push((start, start + n.len(), id));
                }
            }
        }
        out.sort_unstable();
        out
    }

    #[test]
    fn finds_every_occurrence_of_every_name() {
        let names = [
            "he",
            "she",
            "his",
            "hers",
            "c++",
            "c#",
            "java",
            "javascript",
            "he",
        ];
        for hay in ["ushers", "javascript and java", "c++/c#", "hehehe", "", "x"] {
            assert_eq!(all(&names, hay), by_scan(&names, hay), "{hay:?}");
        }
    }

    #[test]
    fn agrees_with_the_plain_definition_on_random_texts() {
        let names = [
            "go",
            "golang",
            "sql",
            "nosql",
            "mysql",
            "sql server",
            "r&d",
            "node.js",
            "node",
            "ab",
            "abab",
            "bab",
            "a b",
            "power bi",
            "bi",
        ];
        let alphabet = [
            "go", "lang", "sql", " ", "my", "no", "a", "b", "de.js", "r&", "x", "\n", "é",
        ];
        let mut rng = crate::test_random::Lcg::new(3);
        for round in 0..20_000 {
            let hay = rng.text(&alphabet, round % 30);
            assert_eq!(all(&names, &hay), by_scan(&names, &hay), "{hay:?}");
        }
    }

    #[test]
    fn ascii_case_insensitive_matches_either_case() {
        let a =
            Phrases::ascii_case_insensitive(&["w2", "Corp to Corp", "1099"]).expect("automaton");
        let got: Vec<_> = a
            .occurrences(b"W2 or CORP TO corp, not w3; 1099")
            .map(|m| (m.start, m.end, m.phrase))
            .collect();
        assert_eq!(got, [(0, 2, 0), (6, 18, 1), (28, 32, 2)]);
    }

    #[test]
    fn occurs_in_agrees_with_the_occurrences() {
        let cues = [
            " equal opportunity ",
            " eoe ",
            "e-verify",
            " our team ",
            " join our ",
        ];
        let case_sensitive = Phrases::new(&cues).expect("phrases");
        let any_case = Phrases::ascii_case_insensitive(&cues).expect("phrases");
        assert!(case_sensitive.packed.is_some() || cfg!(not(target_arch = "x86_64")));
        let alphabet = [
            " ",
            "equal",
            "opportunity",
            "eoe",
            "e-verify",
            "our",
            "team",
            "join",
            "x",
            "EOE",
        ];
        let mut rng = crate::test_random::Lcg::new(17);
        for round in 0..20_000 {
            let hay = rng.text(&alphabet, round % 40);
            for set in [&case_sensitive, &any_case] {
                assert_eq!(
                    set.occurs_in(hay.as_bytes()),
                    set.occurrences(hay.as_bytes()).next().is_some(),
                    "{hay:?}"
                );
            }
        }
    }

    #[test]
    fn lines_containing_agrees_with_a_line_by_line_search() {
        let words = ["remote", "hybrid", "on-site", "office"];
        let packed = Phrases::new(&words).expect("phrases");
        let many: Vec<String> = (0..40)
            .map(|i| format!("zz{i}"))
            .chain(words.iter().map(|w| w.to_string()))
            .collect();
        let automaton = Phrases::new(&many).expect("phrases");
        assert!(automaton.packed.is_none());
        let alphabet = [
            "remote", "hybrid", "on-site", "office", "\n", " ", "x", "re", "mote",
        ];
        let mut rng = crate::test_random::Lcg::new(19);
        for round in 0..20_000 {
            let text = rng.text(&alphabet, round % 30);
            let mut want = Vec::new();
            let mut start = 0;
            for line in text.split('\n') {
                if words.iter().any(|w| line.contains(w)) {
                    want.push(start..start + line.len());
                }
                start += line.len() + 1;
            }
            for set in [&packed, &automaton] {
                let got: Vec<_> = set.lines_containing(&text).collect();
                assert_eq!(got, want, "{text:?}");
            }
        }
    }

    #[test]
    fn refuses_an_empty_name() {
        assert!(Phrases::new(&["a", ""]).is_err());
    }
}

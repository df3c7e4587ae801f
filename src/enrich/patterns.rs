//! Patterns over short lines, compiled once to full DFAs: the experience
//! figures, the degree names and the levels a text names.
//!
//! Why not `regex::Regex`, which finds the same matches: its lazy DFA
//! builds states as new line shapes arrive, and reading capture groups runs
//! a second engine over every match. On these stages' short lines those
//! two were most of the cost (docs/performance.md). A full DFA is built at
//! start (tens of milliseconds, under a megabyte for all three sets) and
//! then walks a line one table load per byte. A set of patterns takes the
//! place of capture groups: a match says which pattern it is, and the
//! caller reads the matched words itself where it needs more.

use regex_automata::dfa::{dense, regex::Regex};

/// A list of patterns, searched for all at once, leftmost first (at one
/// start, the earlier pattern wins, as in an alternation).
pub struct Patterns(Regex);

/// One match: `text[start..end]` matched pattern number `pattern`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PatternMatch {
    pub start: usize,
    pub end: usize,
    /// The pattern's position in the list the set was built from.
    pub pattern: usize,
}

impl Patterns {
    /// The DFA of `patterns` (`regex` syntax). Patterns must use ASCII
    /// word boundaries (`(?-u)` for `\b`): a full DFA cannot be built with
    /// a Unicode one (an error here).
    pub fn new(patterns: &[&str]) -> Result<Patterns, String> {
        Regex::builder()
            // Minimizing would save memory, not search time, and costs
            // more at start than the search saves.
            .dense(dense::Config::new().minimize(false))
            .build_many(patterns)
            .map(Patterns)
            .map_err(|e| e.to_string())
    }

    /// The matches in `text`, left to right, not overlapping.
    pub fn find_iter<'a>(&'a self, text: &'a str) -> impl Iterator<Item = PatternMatch> + 'a {
        self.0.find_iter(text.as_bytes()).map(|m| PatternMatch {
            start: m.start(),
            end: m.end(),
            pattern: m.pattern().as_usize(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_match_names_its_pattern_and_the_earlier_pattern_wins() {
        let patterns = Patterns::new(&[r"(?i-u)\bsenior\b", r"(?i-u)\bsen\w*"]).unwrap();
        let found: Vec<_> = patterns.find_iter("Senior or sentinel").collect();
        assert_eq!(
            found,
            vec![
                PatternMatch {
                    start: 0,
                    end: 6,
                    pattern: 0
                },
                PatternMatch {
                    start: 10,
                    end: 18,
                    pattern: 1
                },
            ]
        );
    }

    #[test]
    fn ascii_word_boundaries_work_beside_other_scripts() {
        let patterns = Patterns::new(&[r"(?-u)\bBS\b"]).unwrap();
        let found: Vec<_> = patterns
            .find_iter("学位 BS’ in → BS")
            .map(|m| m.start)
            .collect();
        assert_eq!(found, vec![7, 20]);
    }

    #[test]
    fn an_invalid_pattern_is_an_error() {
        assert!(Patterns::new(&["("]).is_err());
    }
}

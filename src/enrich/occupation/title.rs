//! A title as it is written, made into the occupation it names and what
//! is around it: "Sr. SWE II - Remote (US) #12345" is the occupation
//! "software engineer" with the qualifiers "senior", "ii", "remote", "us".
//!
//! A title is cut into parts at the marks feeds put between the role and
//! the rest (" - ", ",", "|", "(", ...). In each part, words that qualify the
//! role (level, schedule, place of work, requisition numbers) are taken off
//! its ends, and abbreviations are spelled out (`data/occupation/
//! title-words.tsv`). The parts stay in their order: the matcher tries them
//! one by one, since the role is not always first ("AI/ML - Sr Data
//! Scientist, Siri Data").

use rustc_hash::FxHashMap as HashMap;
use std::sync::OnceLock;

const TITLE_WORDS_TSV: &str = include_str!("../../../data/occupation/title-words.tsv");

/// One part of a title: its words, normalized, and what was taken off it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TitlePart {
    /// The role's words, lower case, abbreviations spelled out.
    pub words: Vec<String>,
    /// Words taken off the ends (normalized: "sr" → "senior").
    pub qualifiers: Vec<String>,
    /// Every word, before qualifiers were taken off: "night auditor" and
    /// "staff nurse" are occupations.
    pub all_words: Vec<String>,
}

impl TitlePart {
    pub fn text(&self) -> String {
        self.words.join(" ")
    }
}

struct TitleWords {
    /// Abbreviation → its words ("swe" → "software engineer").
    expansions: HashMap<&'static str, &'static str>,
    /// Qualifier → its normalized form ("-": the word itself).
    qualifiers: HashMap<&'static str, &'static str>,
}

fn title_words() -> &'static TitleWords {
    static WORDS: OnceLock<TitleWords> = OnceLock::new();
    WORDS.get_or_init(|| {
        let mut expansions = HashMap::default();
        let mut qualifiers = HashMap::default();
        for line in TITLE_WORDS_TSV.lines() {
            if line.starts_with('#') || line.trim().is_empty() {
                continue;
            }
            let mut cols = line.split('\t');
            let (Some(kind), Some(word), Some(meaning)) = (cols.next(), cols.next(), cols.next())
            else {
                continue;
            };
            match kind {
                "expand" => {
                    expansions.insert(word, meaning);
                }
                "qualifier" => {
                    qualifiers.insert(word, meaning);
                }
                _ => {}
            }
        }
        TitleWords {
            expansions,
            qualifiers,
        }
    })
}

/// Builds the word tables (called once at start).
pub fn prepare() {
    let _ = title_words();
}

/// Splits a title into its parts, each normalized. Parts with no role
/// words left are dropped; their qualifiers join the first part's.
pub fn parts(title: &str) -> Vec<TitlePart> {
    let words = title_words();
    // Entities first: their ";" and "#" are not cuts.
    let title = decode_entities(title);
    let title = title.as_str();
    let mut out: Vec<TitlePart> = Vec::new();
    let mut loose: Vec<String> = Vec::new();
    for raw in split_parts(title) {
        let part = normalize_part(raw, words);
        if part.words.is_empty() {
            loose.extend(part.qualifiers);
        } else {
            out.push(part);
        }
    }
    if let Some(first) = out.first_mut() {
        for q in loose {
            if !first.qualifiers.contains(&q) {
                first.qualifiers.push(q);
            }
        }
    }
    out
}

/// The few HTML entities feeds leave in titles ("Data &amp; Applied").
fn decode_entities(title: &str) -> String {
    if !title.contains('&') {
        return title.to_string();
    }
    title
        .replace("&amp;", "&")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&quot;", "\"")
        .replace("&nbsp;", " ")
}

/// The parts of a title as written: cut at " - ", " – ", " — ", ",", "|",
/// ":", ";", "/", brackets of every kind and "#" before a number ("#12345",
/// not "C#").
fn split_parts(title: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut start = 0;
    let bytes = title.as_bytes();
    for (i, c) in title.char_indices() {
        let cut = match c {
            ',' | '|' | ':' | ';' | '(' | ')' | '[' | ']' | '{' | '}' | '【' | '】' | '（'
            | '）' | '–' | '—' | '/' => true,
            '#' => bytes.get(i + 1).is_some_and(u8::is_ascii_digit),
            // A hyphen with a space on either side ("Engineer - Remote",
            // "Engineer- CCE"), not one inside a word ("Back-End").
            '-' => i > 0 && bytes.get(i - 1) == Some(&b' ') || bytes.get(i + 1) == Some(&b' '),
            _ => false,
        };
        if cut {
            parts.push(&title[start..i]);
            start = i + c.len_utf8();
        }
    }
    parts.push(&title[start..]);
    parts
        .into_iter()
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect()
}

/// One part's words: lower case, split at what is not a letter, digit,
/// "+" or "#" ("c++", "c#"), abbreviations spelled out, qualifiers taken
/// off both ends.
fn normalize_part(part: &str, table: &TitleWords) -> TitlePart {
    let mut words = words_with(part, table);
    let all_words = words.clone();
    let mut qualifiers = Vec::new();
    // Two words as one ("per diem"), in one buffer rather than a new
    // string for every pair tried.
    let mut pair = String::new();
    let mut two = |a: &str, b: &str| {
        pair.clear();
        pair.push_str(a);
        pair.push(' ');
        pair.push_str(b);
        qualifier(&pair, table)
    };
    // Leading qualifiers ("senior", "per diem"), then trailing ones ("ii",
    // "intern", a requisition number); two words as one first.
    loop {
        if let [a, b, ..] = words.as_slice()
            && let Some(q) = two(a, b)
        {
            qualifiers.push(q);
            words.drain(..2);
        } else if let Some(q) = words.first().and_then(|w| qualifier(w, table)) {
            qualifiers.push(q);
            words.remove(0);
        } else {
            break;
        }
    }
    let mut trailing = Vec::new();
    loop {
        if let [.., a, b] = words.as_slice()
            && let Some(q) = two(a, b)
        {
            trailing.push(q);
            words.truncate(words.len() - 2);
        } else if let Some(q) = words.last().and_then(|w| qualifier(w, table)) {
            trailing.push(q);
            words.pop();
        } else {
            break;
        }
    }
    qualifiers.extend(trailing.into_iter().rev());
    // A level inside the title ("Software Sr Engineer") is a qualifier too.
    words.retain(|w| match qualifier(w, table) {
        Some(q) if INNER_LEVELS.contains(&q.as_str()) => {
            qualifiers.push(q);
            false
        }
        _ => true,
    });
    TitlePart {
        words,
        qualifiers,
        all_words,
    }
}

/// Levels taken out of a title wherever they stand.
const INNER_LEVELS: [&str; 3] = ["senior", "junior", "principal"];

/// The words of `text`: lower case, split at what is not a letter, digit,
/// "+", "#", "&" or "'" ("c++", "c#"), abbreviations spelled out ("swe" → "software",
/// "engineer"). Labels are normalized the same way, so that they meet.
pub fn words_of(text: &str) -> Vec<String> {
    words_with(text, title_words())
}

fn words_with(text: &str, table: &TitleWords) -> Vec<String> {
    let lower = text.to_lowercase();
    let mut words: Vec<String> = Vec::new();
    for w in lower
        .split(|c: char| !(c.is_alphanumeric() || matches!(c, '+' | '#' | '&' | '\'')))
        .map(|w| w.trim_matches('\''))
        .filter(|w| !w.is_empty())
    {
        match table.expansions.get(w) {
            Some(expanded) => words.extend(expanded.split(' ').map(str::to_string)),
            None => words.push(w.to_string()),
        }
    }
    words
}

/// The qualifier `word` is, normalized ("sr" → "senior"); numbers and
/// roman numerals are levels.
fn qualifier(word: &str, table: &TitleWords) -> Option<String> {
    if let Some(meaning) = table.qualifiers.get(word) {
        return Some(if meaning.is_empty() || *meaning == "-" {
            word.to_string()
        } else {
            (*meaning).to_string()
        });
    }
    if word.chars().all(|c| c.is_ascii_digit()) {
        return Some(word.to_string());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(title: &str) -> Vec<(String, Vec<String>)> {
        parts(title)
            .into_iter()
            .map(|p| (p.text(), p.qualifiers))
            .collect()
    }

    #[test]
    fn levels_places_and_numbers_are_qualifiers() {
        let p = texts("Sr. SWE II - Remote (US) #12345");
        assert_eq!(p[0].0, "software engineer");
        assert_eq!(p[0].1, ["senior", "ii", "remote", "us", "12345"]);
        assert_eq!(p.len(), 1);
    }

    #[test]
    fn every_part_is_kept_in_order() {
        let p = texts("Registered Nurse - ICU - Nights - $5,000 Sign-On");
        assert_eq!(p[0].0, "registered nurse");
        assert!(
            p.iter()
                .any(|(t, _)| t == "icu" || t == "intensive care unit")
        );
        let p = texts("AI/ML - Sr Data Scientist, Siri Data");
        assert!(
            p.iter()
                .any(|(t, q)| t == "data scientist" && q == &["senior"])
        );
    }

    #[test]
    fn entities_and_c_sharp_are_not_cuts() {
        let p = texts("Data &amp; Applied Scientist");
        assert_eq!(p[0].0, "data & applied scientist");
        let p = texts("C# Developer #4411");
        assert_eq!(p[0].0, "c# developer");
        assert_eq!(p[0].1, ["4411"]);
    }

    #[test]
    fn hyphens_inside_words_stay() {
        let p = texts("Software Engineer - Back-End, Java");
        assert_eq!(p[0].0, "software engineer");
        assert_eq!(p[1].0, "back end");
    }
}

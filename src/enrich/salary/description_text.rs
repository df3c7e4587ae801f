//! Pay stated only in the description text ("Salary Range: $120k - $150k",
//! "Up to $75/hr W2"). Precision first: a line is read as the job's pay only
//! when it carries a pay cue (or a pay period right after the figure) and no
//! sign of other money (revenue, funding, 401(k), bonuses, tuition, ...);
//! figures must be plausible for their period; several different offers in
//! one posting are not guessed between.
//!
//! Not for: structured salary fields (see `structured.rs`).

use std::sync::OnceLock;

use super::money_figures;
use super::pay_unit::PayUnit;
use crate::enrich::phrases::Phrases;
use crate::text_scan;

/// What the text says, before annualizing.
#[derive(Debug, Clone, PartialEq)]
pub struct TextPay {
    pub min: f64,
    pub max: f64,
    pub unit: Option<PayUnit>,
    pub currency: Option<&'static str>,
    /// "Minimum $X", "starting at $X" (`AtLeast`); "up to $X" (`UpTo`).
    pub qualifier: Option<Qualifier>,
    /// The line the figures were read from (at most 200 characters).
    pub evidence: String,
}

/// A single figure that bounds the pay rather than stating it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Qualifier {
    AtLeast,
    UpTo,
}

const AT_LEAST_CUES: &[&str] = &[
    "minimum",
    "min.",
    "at least",
    "starting at",
    "starts at",
    "starting from",
    "from $",
];
const UP_TO_CUES: &[&str] = &["up to", "maximum", "max.", "as much as"];

/// Why no figure was taken although the text mentions pay.
#[derive(Debug, Clone, PartialEq)]
pub enum Unsure {
    /// Several different offers (levels, locations): not guessed between.
    Ambiguous(usize),
}

/// Words that mark a line as being about the job's pay (folded lower case).
const PAY_CUES: &[&str] = &[
    "salary",
    "pay",
    "compensation",
    "wage",
    "hourly",
    "per hour",
    "an hour",
    "/hr",
    "/hour",
    "/ hr",
    "per year",
    "a year",
    "/yr",
    "/year",
    "annually",
    "annual",
    "per annum",
    "p.a.",
    "base",
    "rate",
    "ctc",
    "lpa",
    "starting at",
    "starts at",
    "up to",
    "w2",
    "1099",
    "c2c",
    "doe",
    "earn",
    "ote",
    "stipend",
];

/// Words that mark other money on the line.
const NOT_PAY_CUES: &[&str] = &[
    "revenue",
    "funding",
    "raised",
    "valuation",
    "valued",
    "billion",
    "401",
    "tuition",
    "relocation",
    "sign-on",
    "sign on",
    "signing",
    "referral",
    "price",
    "reimburse",
    "assets",
    "market cap",
    "sales of",
    "in sales",
    "budget",
    "investment",
    "invested",
    "grant",
    "donat",
    "scholarship",
    "discount",
    "fee ",
    "fees",
    "insurance",
    "hsa",
    "contribution",
    "match",
    "allowance",
    "per month for",
    "phone",
    "gym",
    "wellness",
    "commuter",
    "loan",
    "portfolio",
    "capital",
    "series ",
    "funds",
    "funded",
    "fund ",
    "bonus of",
    "bonus up to",
    "retention bonus",
    "annual bonus",
    "lifetime",
];

/// Plausible figures per period, in the stated currency's dollars: wider
/// than any real wage, narrow enough to reject years, counts and prices.
fn plausible(value: f64, unit: Option<PayUnit>) -> bool {
    match unit {
        Some(PayUnit::Hour) => (7.0..=500.0).contains(&value),
        Some(PayUnit::Day) => (50.0..=4_000.0).contains(&value),
        Some(PayUnit::Week) => (200.0..=20_000.0).contains(&value),
        Some(PayUnit::Biweekly | PayUnit::Semimonthly) => (400.0..=40_000.0).contains(&value),
        Some(PayUnit::Month) => (800.0..=100_000.0).contains(&value),
        Some(PayUnit::Quarter) => (2_500.0..=300_000.0).contains(&value),
        Some(PayUnit::Year) => (10_000.0..=2_000_000.0).contains(&value),
        // Without a period only a yearly magnitude is safe: "$39" is a price.
        None => (10_000.0..=2_000_000.0).contains(&value),
    }
}

/// Currency markers before a figure, and the code they mean. `$` is read
/// with the posting's own dollar when it has one (CAD, AUD, ...).
const MARKERS: &[(&str, &str)] = &[
    ("US$", "USD"),
    ("USD", "USD"),
    ("CAD", "CAD"),
    ("C$", "CAD"),
    ("AUD", "AUD"),
    ("A$", "AUD"),
    ("GBP", "GBP"),
    ("£", "GBP"),
    ("EUR", "EUR"),
    ("€", "EUR"),
    ("INR", "INR"),
    ("₹", "INR"),
    ("Rs.", "INR"),
    ("Rs", "INR"),
    ("$", "$"),
];

/// Reads the job's pay from plain description text. `local_dollar` is the
/// posting country's currency when it is a dollar (for a bare `$`).
/// `outside_colorado`: the posting is not in Colorado, whose pay-disclosure
/// lines ("Colorado only: minimum salary of $X") state pay for Colorado.
pub fn find(
    text: &str,
    local_dollar: Option<&'static str>,
    outside_colorado: bool,
    usd_per_unit: &dyn Fn(&str) -> Option<f64>,
) -> Result<Option<TextPay>, Unsure> {
    let mut found: Vec<TextPay> = Vec::new();
    // Pay needs a figure: only the few lines with a digit are looked at.
    for line in lines_with_digits(text) {
        if !may_hold_money(line) {
            continue;
        }
        let lower = line.to_lowercase();
        let cues = cue_tables();
        if cues.not_pay.in_text(&lower) {
            continue;
        }
        if outside_colorado && cues.colorado.in_text(&lower) {
            continue;
        }
        let Some((at, currency)) = money_start(line, local_dollar) else {
            continue;
        };
        let from_figure = &line[at..];
        let Some((min, max, unit, read)) = money_figures::range_with_count(from_figure) else {
            continue;
        };
        // More money on the line than the range read (levels, bonuses,
        // "Minimum - $12.55/hr Maximum - $46.10/hr"): not guessed.
        if count_money_figures(line) > read {
            continue;
        }
        let cue = cues.pay.in_text(&lower);
        if !cue && unit.is_none() {
            continue;
        }
        let (min, max) = if min > max { (max, min) } else { (min, max) };
        // Plausibility is judged in US dollars; without a rate, only dollars pass.
        let usd = match currency {
            Some(c) => usd_per_unit(c),
            None => Some(1.0),
        };
        let Some(usd) = usd else { continue };
        if !plausible(min * usd, unit) || !plausible(max * usd, unit) {
            continue;
        }
        let before = lower.get(..at.min(lower.len())).unwrap_or("");
        let qualifier = (min == max)
            .then(|| {
                if cues.at_least.in_text(before) {
                    Some(Qualifier::AtLeast)
                } else if cues.up_to.in_text(before) {
                    Some(Qualifier::UpTo)
                } else {
                    None
                }
            })
            .flatten();
        let pay = TextPay {
            min,
            max,
            unit,
            currency,
            qualifier,
            evidence: line.chars().take(200).collect(),
        };
        if !found.iter().any(|f| f.min == pay.min && f.max == pay.max) {
            found.push(pay);
        }
    }
    match found.len() {
        0 => Ok(None),
        1 => Ok(found.pop()),
        n => Err(Unsure::Ambiguous(n)),
    }
}

/// The lines of `text` (as `str::lines` gives them) that hold an ASCII
/// digit, found from the digits: eight bytes are tested at once, and lines
/// without one are never read on their own (most of a description).
fn lines_with_digits(text: &str) -> impl Iterator<Item = &str> {
    let bytes = text.as_bytes();
    let mut from = 0;
    std::iter::from_fn(move || {
        let digit = from + text_scan::first_ascii_digit(bytes.get(from..)?)?;
        let start =
            memchr::memrchr(b'\n', bytes.get(from..digit)?).map_or(from, |at| from + at + 1);
        let (end, next) = match memchr::memchr(b'\n', bytes.get(digit..)?) {
            Some(at) => (digit + at, digit + at + 1),
            None => (bytes.len(), bytes.len()),
        };
        from = next;
        let line = text.get(start..end)?;
        // "\r\n" ends a line as "\n" does; a last line keeps its "\r".
        Some(if end < bytes.len() {
            line.strip_suffix('\r').unwrap_or(line)
        } else {
            line
        })
    })
}

/// One cue table, searched for all its cues in one pass.
struct CueTable {
    cues: &'static [&'static str],
    phrases: Option<Phrases>,
}

impl CueTable {
    fn new(cues: &'static [&'static str]) -> Self {
        CueTable {
            cues,
            phrases: Phrases::new(cues).ok(),
        }
    }

    /// Whether one of the cues is in `lower` as [`has_cue`] finds it.
    fn in_text(&self, lower: &str) -> bool {
        let Some(phrases) = &self.phrases else {
            // Built from constants; should that ever fail, cue by cue.
            return self.cues.iter().any(|c| has_cue(lower, c));
        };
        phrases.occurrences(lower.as_bytes()).any(|m| {
            self.cues
                .get(m.phrase)
                .is_some_and(|cue| at_word_start(lower, m.start, cue))
        })
    }
}

/// The cue tables of [`find`].
struct CueTables {
    pay: CueTable,
    not_pay: CueTable,
    colorado: CueTable,
    at_least: CueTable,
    up_to: CueTable,
}

fn cue_tables() -> &'static CueTables {
    static TABLES: OnceLock<CueTables> = OnceLock::new();
    TABLES.get_or_init(|| CueTables {
        pay: CueTable::new(PAY_CUES),
        not_pay: CueTable::new(NOT_PAY_CUES),
        colorado: CueTable::new(&["colorado"]),
        at_least: CueTable::new(AT_LEAST_CUES),
        up_to: CueTable::new(UP_TO_CUES),
    })
}

/// A cue found at `at` counts when it starts a word ("fee" is not in
/// "coffee"); cues that begin with punctuation ("/hr") may follow anything.
fn at_word_start(lower: &str, at: usize, cue: &str) -> bool {
    !cue.starts_with(|c: char| c.is_alphanumeric())
        || !lower
            .get(..at)
            .and_then(|before| before.chars().next_back())
            .is_some_and(char::is_alphanumeric)
}

/// `cue` in `lower` at a word start, one cue at a time: the reference the
/// cue tables are tested against.
fn has_cue(lower: &str, cue: &str) -> bool {
    let word = cue.starts_with(|c: char| c.is_alphanumeric());
    let Some(&first) = cue.as_bytes().first() else {
        return true;
    };
    // Lines are short and the cues many: finding the first byte and
    // comparing costs less than setting up a substring searcher per cue.
    memchr::memchr_iter(first, lower.as_bytes()).any(|i| {
        lower
            .as_bytes()
            .get(i..)
            .is_some_and(|rest| rest.starts_with(cue.as_bytes()))
            && (!word
                || !lower
                    .get(..i)
                    .and_then(|before| before.chars().next_back())
                    .is_some_and(char::is_alphanumeric))
    })
}

/// Amount words of Indian pay written without a currency symbol.
const INDIAN_AMOUNT_WORDS: [&str; 6] = ["lpa", "lakh", "lakhs", "lac", "lacs", "crore"];

/// A cheap superset of what `money_start` accepts: a currency marker
/// (case as in `MARKERS`) or an Indian amount word in any case.
fn may_hold_money(text: &str) -> bool {
    static MARKER_PHRASES: OnceLock<Option<Phrases>> = OnceLock::new();
    let markers = MARKER_PHRASES.get_or_init(|| {
        Phrases::new(&[
            "$", "£", "€", "₹", "USD", "CAD", "AUD", "GBP", "EUR", "INR", "Rs",
        ])
        .ok()
    });
    // Built from constants; should that ever fail, everything goes to the
    // exact check.
    markers
        .as_ref()
        .is_none_or(|m| m.occurs_in(text.as_bytes()))
        || has_indian_amount_word(text)
}

/// An Indian amount word (`INDIAN_AMOUNT_WORDS`, any case) standing as a
/// word. Every such word starts with "l" or "c", so only the positions of
/// those letters are looked at.
fn has_indian_amount_word(text: &str) -> bool {
    let bytes = text.as_bytes();
    text_scan::letter_positions_any_case(bytes, b'l', b'c').any(|i| indian_amount_word_at(bytes, i))
}

fn indian_amount_word_at(bytes: &[u8], i: usize) -> bool {
    let alnum = |j: Option<usize>| {
        j.and_then(|j| bytes.get(j))
            .is_some_and(u8::is_ascii_alphanumeric)
    };
    if !matches!(bytes.get(i).map(|b| b | 0x20), Some(b'l' | b'c')) || alnum(i.checked_sub(1)) {
        return false;
    }
    INDIAN_AMOUNT_WORDS.iter().any(|w| {
        bytes
            .get(i..i + w.len())
            .is_some_and(|s| s.eq_ignore_ascii_case(w.as_bytes()))
            && !alnum(Some(i + w.len()))
    })
}

/// How many currency-marked figures a line holds.
fn count_money_figures(line: &str) -> usize {
    line.char_indices()
        .filter(|&(i, _)| {
            let rest = &line[i..];
            may_start_marker(rest)
                && MARKERS.iter().any(|(m, _)| {
                    rest.strip_prefix(m)
                        .is_some_and(|r| r.trim_start().starts_with(|c: char| c.is_ascii_digit()))
                })
                && !line[..i].ends_with(['U', 'S', 'C', 'A', 'N', 'R'])
        })
        .count()
}

/// Whether `rest` may start with one of `MARKERS`: one byte looked at
/// before fifteen prefixes are compared at every character of a line.
fn may_start_marker(rest: &str) -> bool {
    matches!(
        rest.as_bytes().first(),
        Some(b'$' | b'U' | b'C' | b'A' | b'G' | b'E' | b'I' | b'R' | 0xC2 | 0xE2)
    )
}

/// Dollars a bare `$` may mean, by the posting's country.
pub const DOLLARS: [&str; 7] = ["USD", "CAD", "AUD", "NZD", "SGD", "HKD", "TWD"];

/// Where the first money figure of a line starts (a currency marker right
/// before digits), and its currency.
fn money_start(
    line: &str,
    local_dollar: Option<&'static str>,
) -> Option<(usize, Option<&'static str>)> {
    // Indian pay is often written without a symbol: "12 LPA", "30-35 Lacs".
    let lower = line.to_lowercase();
    let indian = INDIAN_AMOUNT_WORDS
        .iter()
        .any(|w| lower.split(|c: char| !c.is_alphanumeric()).any(|t| t == *w));
    if indian && let Some(at) = line.find(|c: char| c.is_ascii_digit()) {
        return Some((at, Some("INR")));
    }
    for (i, _) in line.char_indices() {
        let rest = &line[i..];
        if !may_start_marker(rest) {
            continue;
        }
        for &(marker, code) in MARKERS {
            if let Some(after) = rest.strip_prefix(marker) {
                let digits = after.trim_start();
                if digits.starts_with(|c: char| c.is_ascii_digit()) {
                    let at = line.len() - digits.len();
                    let code = if code == "$" {
                        local_dollar.unwrap_or("USD")
                    } else {
                        code
                    };
                    return Some((at, Some(code)));
                }
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dollars(c: &str) -> Option<f64> {
        (c == "USD").then_some(1.0)
    }

    #[test]
    fn every_marker_may_start_a_marker() {
        for (marker, _) in MARKERS {
            assert!(may_start_marker(marker), "{marker}");
        }
        assert!(!may_start_marker("usd") && !may_start_marker("") && !may_start_marker("1"));
    }

    #[test]
    fn lines_with_digits_are_the_lines_with_a_digit() {
        let pieces = [
            "a", "1", "9", " ", "\n", "\r", "\r\n", "é", "x0", "\u{b0}", "/", ":",
        ];
        let mut rng = crate::test_random::Lcg::new(23);
        let mut lines = 0;
        for _ in 0..30_000 {
            let count = (rng.next_u64() >> 59) as usize;
            let text = rng.text(&pieces, count);
            let expected: Vec<&str> = text
                .lines()
                .filter(|l| l.bytes().any(|b| b.is_ascii_digit()))
                .collect();
            assert_eq!(
                lines_with_digits(&text).collect::<Vec<_>>(),
                expected,
                "{text:?}"
            );
            lines += expected.len();
        }
        assert!(lines > 30_000, "{lines}");
    }

    #[test]
    fn indian_amount_words_are_found_as_an_automaton_finds_them() {
        let ac = aho_corasick::AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .match_kind(aho_corasick::MatchKind::LeftmostLongest)
            .build(INDIAN_AMOUNT_WORDS)
            .expect("constant patterns");
        let reference = |line: &str| {
            ac.find_iter(line).any(|m| {
                let bytes = line.as_bytes();
                let before = m.start().checked_sub(1).and_then(|i| bytes.get(i));
                !before.is_some_and(u8::is_ascii_alphanumeric)
                    && !bytes.get(m.end()).is_some_and(u8::is_ascii_alphanumeric)
            })
        };
        let pieces = [
            "lpa", "LAKH", "lakhs", "Lac", "lacs", "crore", "CRORE", "l", "c", "s", "x", "9", " ",
            "\n", "-", "é", "₹", "a",
        ];
        let mut rng = crate::test_random::Lcg::new(7);
        for _ in 0..50_000 {
            let count = (rng.next_u64() % 9) as usize;
            let text = rng.text(&pieces, count);
            assert_eq!(has_indian_amount_word(&text), reference(&text), "{text:?}");
        }
    }

    fn pay(text: &str) -> Option<(f64, f64, Option<PayUnit>)> {
        find(text, None, true, &dollars)
            .ok()
            .flatten()
            .map(|p| (p.min, p.max, p.unit))
    }

    #[test]
    fn cues_are_found_as_a_substring_search_finds_them() {
        fn by_match_indices(lower: &str, cue: &str) -> bool {
            let word = cue.starts_with(|c: char| c.is_alphanumeric());
            lower.match_indices(cue).any(|(i, _)| {
                !word
                    || !lower[..i]
                        .chars()
                        .next_back()
                        .is_some_and(char::is_alphanumeric)
            })
        }
        let cues: Vec<&str> = [NOT_PAY_CUES, PAY_CUES, AT_LEAST_CUES, UP_TO_CUES]
            .concat()
            .into_iter()
            .chain(["colorado", "/hr", ""])
            .collect();
        let mut pieces = cues.clone();
        pieces.extend(["a", "é", " ", "1", "-", "$", "x", "/", "ö"]);
        let mut rng = crate::test_random::Lcg::new(13);
        let mut found = 0;
        for _ in 0..20_000 {
            let count = (rng.next_u64() >> 60) as usize;
            let text = rng.text(&pieces, count);
            for cue in &cues {
                let expected = by_match_indices(&text, cue);
                assert_eq!(has_cue(&text, cue), expected, "{cue:?} in {text:?}");
                found += usize::from(expected);
            }
        }
        assert!(found > 10_000, "{found}");
    }

    #[test]
    fn cue_tables_agree_with_the_cue_by_cue_search() {
        let tables = cue_tables();
        let all: Vec<&str> = [NOT_PAY_CUES, PAY_CUES, AT_LEAST_CUES, UP_TO_CUES].concat();
        let mut pieces = all.clone();
        pieces.extend(["a", "é", " ", "1", "-", "$", "x", "/", "ö", "colorado"]);
        let mut rng = crate::test_random::Lcg::new(29);
        for _ in 0..20_000 {
            let count = (rng.next_u64() >> 60) as usize;
            let text = rng.text(&pieces, count);
            for (table, cues) in [
                (&tables.pay, PAY_CUES),
                (&tables.not_pay, NOT_PAY_CUES),
                (&tables.at_least, AT_LEAST_CUES),
                (&tables.up_to, UP_TO_CUES),
                (&tables.colorado, &["colorado"][..]),
            ] {
                assert!(table.phrases.is_some());
                assert_eq!(
                    table.in_text(&text),
                    cues.iter().any(|c| has_cue(&text, c)),
                    "{text:?}"
                );
            }
        }
    }

    #[test]
    fn pay_lines() {
        assert_eq!(
            pay("Salary Range: $120k - $150k"),
            Some((120_000.0, 150_000.0, None))
        );
        assert_eq!(
            pay("Up to $75/hr W2"),
            Some((75.0, 75.0, Some(PayUnit::Hour)))
        );
        assert_eq!(
            pay("Pay: $18 per hour"),
            Some((18.0, 18.0, Some(PayUnit::Hour)))
        );
        assert_eq!(
            pay("Compensation: $90,000 - $110,000 annually"),
            Some((90_000.0, 110_000.0, Some(PayUnit::Year)))
        );
    }

    #[test]
    fn other_money_is_ignored() {
        assert_eq!(pay("We have raised $50M in Series B funding"), None);
        assert_eq!(pay("401(k) with company match up to $5,000"), None);
        assert_eq!(pay("$5,000 sign-on bonus"), None);
        assert_eq!(pay("Tuition reimbursement up to $5,250 per year"), None);
        assert_eq!(pay("A $2B company with 500 employees"), None);
        assert_eq!(pay("Founded in 2012"), None);
        assert_eq!(
            pay("Free coffee and feedback culture; salary $70,000 - $80,000"),
            Some((70_000.0, 80_000.0, None))
        );
    }

    #[test]
    fn several_offers_are_not_guessed_between() {
        let text = "Level I salary: $60,000 - $70,000\nLevel II salary: $80,000 - $95,000";
        assert_eq!(find(text, None, true, &dollars), Err(Unsure::Ambiguous(2)));
    }

    #[test]
    fn indian_pay_without_a_symbol() {
        let p = find("CTC: 30-35 Lacs per annum", None, true, &|c: &str| {
            (c == "INR").then_some(0.012)
        })
        .unwrap()
        .unwrap();
        assert_eq!(
            (p.min, p.max, p.currency, p.unit),
            (30e5, 35e5, Some("INR"), Some(PayUnit::Year))
        );
        let p = find("Salary: 12 LPA", None, true, &|c: &str| {
            (c == "INR").then_some(0.012)
        })
        .unwrap()
        .unwrap();
        assert_eq!(
            (p.min, p.currency, p.unit),
            (12e5, Some("INR"), Some(PayUnit::Year))
        );
    }

    #[test]
    fn bounds_and_colorado_disclosures() {
        let p = find("Minimum annual salary of $121,800", None, false, &dollars)
            .unwrap()
            .unwrap();
        assert_eq!((p.min, p.qualifier), (121_800.0, Some(Qualifier::AtLeast)));
        let p = find("Up to $75/hr W2", None, true, &dollars)
            .unwrap()
            .unwrap();
        assert_eq!(p.qualifier, Some(Qualifier::UpTo));
        let co = "Colorado only: minimum salary of $111,000 + bonus + equity";
        assert_eq!(find(co, None, true, &dollars), Ok(None));
        assert!(find(co, None, false, &dollars).unwrap().is_some());
    }
}

//! Figures written as text: "$100,000 - $150,000", "7-20 triệu",
//! "120k", "12 LPA", "Up to $43/hr". Used for structured salary values that
//! feeds send as strings, and for pay stated in the description
//! ([`super::description_text`]).

use super::pay_unit::PayUnit;

/// Words after a figure that multiply it, lower case.
const MULTIPLIERS: &[(&str, f64)] = &[
    ("k", 1e3),
    ("m", 1e6),
    ("mn", 1e6),
    ("mil", 1e6),
    ("million", 1e6),
    ("millions", 1e6),
    ("triệu", 1e6),
    ("trieu", 1e6),
    ("tr", 1e6),
    ("tỷ", 1e9),
    ("lakh", 1e5),
    ("lakhs", 1e5),
    ("lac", 1e5),
    ("lacs", 1e5),
    ("lpa", 1e5),
    ("crore", 1e7),
    ("cr", 1e7),
    ("万", 1e4),
    ("万円", 1e4),
];

/// Markers that say "per year" once the figure is read ("12 LPA" is twelve
/// lakh per annum).
const YEARLY_MULTIPLIERS: &[&str] = &["lpa"];

/// One figure and what follows it.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Figure {
    value: f64,
    /// The figure carried its own multiplier ("120k").
    multiplied: bool,
    end: usize,
}

/// Reads the figure starting at byte `start` (a digit): digits with
/// thousands separators, a decimal part, and an optional multiplier word.
fn figure_at(text: &str, start: usize) -> Option<Figure> {
    let rest = text.get(start..)?;
    let len = rest
        .find(|c: char| !(c.is_ascii_digit() || c == ',' || c == '.'))
        .unwrap_or(rest.len());
    let digits = rest[..len].trim_end_matches(['.', ',']);
    let consumed = digits.len();
    // "1,234,567.89": commas group thousands. "1.234.567" (dots grouping) is
    // read the same way when every group after the first has three digits.
    let cleaned: String = if digits.matches('.').count() > 1 {
        digits.chars().filter(|c| c.is_ascii_digit()).collect()
    } else {
        digits.chars().filter(|&c| c != ',').collect()
    };
    let mut value: f64 = cleaned.parse().ok()?;
    let after = &rest[consumed..];
    let word_start = after.len() - after.trim_start().len();
    let word: String = after[word_start..]
        .chars()
        .take_while(|c| c.is_alphabetic() || *c == '万' || *c == '円')
        .collect();
    let lower = word.to_lowercase();
    let mut end = start + consumed;
    let mut multiplied = false;
    if let Some(&(_, m)) = MULTIPLIERS.iter().find(|(w, _)| *w == lower) {
        // "10 m" could be metres; only a directly attached k/m, or a word, counts.
        if word_start == 0 || lower.chars().count() > 1 {
            value *= m;
            multiplied = true;
            end += word_start + word.len();
        }
    }
    value.is_finite().then_some(Figure {
        value,
        multiplied,
        end,
    })
}

/// A pay range or single figure in text: `(min, max, unit hint)`.
/// "7-20 triệu" applies the trailing multiplier to both ends; "up to 43"
/// gives (43, 43). Returns `None` without a figure.
pub fn range(text: &str) -> Option<(f64, f64, Option<PayUnit>)> {
    range_at(text).map(|r| (r.min, r.max, r.unit))
}

/// A range (or single figure) read from the first digit of a text.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TextRange {
    pub min: f64,
    pub max: f64,
    pub unit: Option<PayUnit>,
    /// How many figures were read: 1 or 2.
    pub figures: usize,
    /// Where the figures (with their multiplier and a period right after
    /// them, "/yr") end: the text after it may hold another range.
    pub end: usize,
}

/// Like [`range`], also saying how many figures it read and where they end.
pub fn range_at(text: &str) -> Option<TextRange> {
    let first_digit = text.find(|c: char| c.is_ascii_digit())?;
    let first = figure_at(text, first_digit)?;
    let between = text.get(first.end..)?;
    // A period right after the first figure: "$120k/yr - $140k/yr".
    let (period, between) = skip_period(between);
    let trimmed = between.trim_start();
    let joined = ["-", "–", "—", "~", "to ", "and "]
        .iter()
        .find_map(|sep| trimmed.strip_prefix(sep))
        .or_else(|| starts_with_currency(trimmed).then_some(trimmed))
        .or_else(|| grouped_pair(text, &first, between).then_some(trimmed))
        .map(skip_currency);
    let second = joined.and_then(|r| {
        let offset = text.len() - r.len();
        r.starts_with(|c: char| c.is_ascii_digit())
            .then(|| figure_at(text, offset))
            .flatten()
    });
    let (mut lo, hi) = match second {
        Some(s) => (first, s),
        None => (first, first),
    };
    if hi.multiplied && !lo.multiplied && second.is_some() {
        // "7-20 triệu", "100-150k": the multiplier belongs to both.
        lo.value *= multiplier_of(text, hi.end);
    }
    let tail = text.get(hi.end..).unwrap_or("");
    let (tail_period, after) = skip_period(tail);
    // "/yr." ends the figures before its dot: the dot may end the sentence.
    let end = text.len() - after.len();
    let end = end - text[..end].len() + text[..end].trim_end_matches('.').len();
    let unit = unit_hint(text, tail).or(period).or(tail_period);
    Some(TextRange {
        min: lo.value,
        max: hi.value,
        unit,
        figures: if second.is_some() { 2 } else { 1 },
        end,
    })
}

/// "85,000 130,000": two amounts written with thousands separators and
/// only a space between them state a range.
fn grouped_pair(text: &str, first: &Figure, between: &str) -> bool {
    let first_text = &text[..first.end];
    let grouped = |s: &str| {
        let digits: &str = s
            .rsplit(|c: char| !(c.is_ascii_digit() || c == ','))
            .next()
            .unwrap_or("");
        digits.len() >= 5 && digits.contains(',')
    };
    let next = between.trim_start();
    between.starts_with(' ')
        && between.len() - next.len() == 1
        && grouped(first_text)
        && next
            .split(|c: char| !(c.is_ascii_digit() || c == ','))
            .next()
            .is_some_and(grouped)
}

/// Skips "/yr.", "/hour", "per year" directly after a figure, returning the
/// period it names.
fn skip_period(s: &str) -> (Option<PayUnit>, &str) {
    let t = s.trim_start();
    let (word_start, rest) = if let Some(r) = t.strip_prefix('/') {
        (true, r.trim_start())
    } else if let Some(r) = t.strip_prefix("per ") {
        (true, r)
    } else {
        (false, t)
    };
    if !word_start {
        return (None, s);
    }
    let len = rest
        .find(|c: char| !c.is_alphabetic())
        .unwrap_or(rest.len());
    match PayUnit::parse(&rest[..len]) {
        Some(u) => (Some(u), rest[len..].trim_start_matches('.')),
        None => (None, s),
    }
}

const CURRENCY_PREFIXES: [&str; 8] = ["$", "£", "€", "₹", "USD", "US$", "Rs.", "Rs"];

fn starts_with_currency(s: &str) -> bool {
    CURRENCY_PREFIXES.iter().any(|p| {
        s.strip_prefix(p)
            .is_some_and(|r| r.trim_start().starts_with(|c: char| c.is_ascii_digit()))
    })
}

/// Skips spaces and one currency marker before a second figure (never
/// words: "$120k - great benefits, 401k" has no second figure).
fn skip_currency(s: &str) -> &str {
    let t = s.trim_start();
    let t = CURRENCY_PREFIXES
        .iter()
        .find_map(|p| t.strip_prefix(p))
        .unwrap_or(t);
    t.trim_start()
}

/// The multiplier of the figure ending at `end` (1 when none).
fn multiplier_of(text: &str, end: usize) -> f64 {
    let before = &text[..end];
    let word: String = before
        .chars()
        .rev()
        .take_while(|c| c.is_alphabetic() || *c == '万' || *c == '円')
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    MULTIPLIERS
        .iter()
        .find(|(w, _)| *w == word.to_lowercase())
        .map_or(1.0, |&(_, m)| m)
}

/// A pay period named in the text: "/hr", "per hour", "an hour",
/// "annually", "p.a.", "LPA", "monthly".
pub fn unit_hint(text: &str, tail: &str) -> Option<PayUnit> {
    let lower = text.to_lowercase();
    if YEARLY_MULTIPLIERS.iter().any(|m| lower.contains(m)) {
        return Some(PayUnit::Year);
    }
    let tail = tail.to_lowercase();
    let candidates = tail
        .split(|c: char| !(c.is_alphanumeric() || c == '.'))
        .filter(|w| !w.is_empty())
        .take(4)
        .collect::<Vec<_>>();
    for w in &candidates {
        if matches!(*w, "an" | "a" | "per" | "each") {
            continue;
        }
        if let Some(u) = PayUnit::parse(w) {
            return Some(u);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_and_multipliers() {
        assert_eq!(
            range("$100,000 - $150,000"),
            Some((100_000.0, 150_000.0, None))
        );
        assert_eq!(range("$120k - $150k"), Some((120_000.0, 150_000.0, None)));
        assert_eq!(range("7-20 triệu"), Some((7e6, 20e6, None)));
        assert_eq!(range("8 triệu"), Some((8e6, 8e6, None)));
        assert_eq!(
            range("Up to $43/hr plus super"),
            Some((43.0, 43.0, Some(PayUnit::Hour)))
        );
        assert_eq!(range("12 LPA"), Some((12e5, 12e5, Some(PayUnit::Year))));
        assert_eq!(
            range("30 to 34 per hour"),
            Some((30.0, 34.0, Some(PayUnit::Hour)))
        );
        assert_eq!(range("Competitive Daily Rate"), None);
        assert_eq!(range("Negotiable"), None);
        assert_eq!(range("10 m from the beach"), Some((10.0, 10.0, None)));
        assert_eq!(
            range("$55,800.00/Yr. - $87,450.00/Yr."),
            Some((55_800.0, 87_450.0, Some(PayUnit::Year)))
        );
        assert_eq!(
            range("$130,000 $150,000/year"),
            Some((130_000.0, 150_000.0, Some(PayUnit::Year)))
        );
        assert_eq!(range("$12.00 and $17.00"), Some((12.0, 17.0, None)));
        assert_eq!(
            range("85,000 130,000 flexible"),
            Some((85_000.0, 130_000.0, None))
        );
        assert_eq!(range("85,000 2 weeks"), Some((85_000.0, 85_000.0, None)));
        let r = range_at("$53,000 to $70,000 / yr. Benefits").unwrap();
        assert_eq!(
            (
                "$53,000 to $70,000 / yr. Benefits"[r.end..].to_string(),
                r.unit
            ),
            (". Benefits".to_string(), Some(PayUnit::Year))
        );
        assert_eq!(
            range("$120k - great benefits, 401k"),
            Some((120_000.0, 120_000.0, None))
        );
    }
}

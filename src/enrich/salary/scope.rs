//! The jurisdiction a pay statement is limited to. Pay-transparency laws
//! (Colorado, Nevada, New York City, California, Washington, ...) make
//! postings state ranges "for Colorado-based roles", "if
//! performed in Nevada", per office ("AZ-Chandler: Min: ... Max: ..."), or
//! per site ("NSA-MD location"). A range is read with its scope, so the
//! salary stage can tell the range for the posting's own place from the
//! ranges for elsewhere.
//!
//! Only US jurisdictions are recognized: the laws that produce scoped lines
//! in the feeds are American (docs/decisions.md). State names come from the
//! embedded ISO 3166-2 table.

use std::sync::OnceLock;

use serde::Serialize;

use crate::enrich::phrases::Phrases;

/// Where a pay statement applies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Scope {
    /// A city or metro area, as the posting names it ("New York City").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub locality: Option<String>,
    /// ISO 3166-2, e.g. "US-CO".
    pub subdivision: String,
}

impl Scope {
    fn state(code: &str) -> Scope {
        Scope {
            locality: None,
            subdivision: format!("US-{code}"),
        }
    }
}

/// The US states and DC: their names, searched in any case, and their
/// two-letter codes (the phrase ids).
struct States {
    codes: Vec<&'static str>,
    phrases: Phrases,
}

fn states() -> &'static States {
    static STATES: OnceLock<States> = OnceLock::new();
    STATES.get_or_init(|| {
        let table = include_str!("../../../data/iso3166-2-first-level.tsv");
        let (mut names, mut codes) = (Vec::new(), Vec::new());
        for line in table.lines() {
            let mut cells = line.split('\t');
            let (Some(code), Some(name)) = (cells.next(), cells.next()) else {
                continue;
            };
            let Some(code) = code.strip_prefix("US-") else {
                continue;
            };
            // Outlying areas (American Samoa, ...) do not scope pay lines.
            if matches!(cells.next(), Some("State" | "District")) {
                names.push(name.to_ascii_lowercase());
                codes.push(code);
            }
        }
        let phrases = Phrases::ascii_case_insensitive(&names)
            .unwrap_or_else(|e| unreachable!("state names from the embedded table: {e}"));
        States { codes, phrases }
    })
}

/// Builds the state-name table now rather than on first use.
pub fn prepare() {
    let _ = states();
}

/// Whether `code` is a US state's (or DC's) two-letter code.
fn is_state_code(code: &str) -> bool {
    code.len() == 2 && states().codes.contains(&code)
}

/// The scope a piece of text names: none when it names none, or places in
/// different states.
///
/// `law_mentions_scope`: whether "Colorado's Equal Pay Act" counts. On the
/// line of the range it does not (the range is stated for the role, the law
/// is why); on a line above a bare range it does (the range is that law's
/// disclosure).
pub fn scope_in(text: &str, law_mentions_scope: bool) -> Option<Scope> {
    let lower = text.to_ascii_lowercase();
    // Every place named, the most specific first; places in two different
    // states ("in California, Colorado, New York City and Washington"):
    // no scope.
    let mut named: Vec<Scope> = Vec::new();
    if has_word(&lower, "nyc") || lower.contains("new york city") {
        named.push(Scope {
            locality: Some("New York City".into()),
            subdivision: "US-NY".into(),
        });
    }
    named.extend(office_prefix(text));
    named.extend(city_and_code(text));
    named.extend(site_code(text));
    named.extend(state_named(&lower, law_mentions_scope));
    named.extend(state_codes_after_commas(text));
    let first = named.first()?;
    named
        .iter()
        .all(|s| s.subdivision == first.subdivision)
        .then(|| first.clone())
}

/// "Denver, CO": every state code after a comma, as scopes (to tell a
/// sentence naming places in two states).
fn state_codes_after_commas(text: &str) -> Vec<Scope> {
    text.match_indices(", ")
        .filter_map(|(at, _)| {
            let code = text.get(at + 2..at + 4)?;
            let after = text.as_bytes().get(at + 4);
            (is_state_code(code) && !after.is_some_and(u8::is_ascii_alphanumeric))
                .then(|| Scope::state(code))
        })
        .collect()
}

/// Every state named in `lower`, as scopes.
fn state_named(lower: &str, law_mentions_scope: bool) -> Vec<Scope> {
    let table = states();
    let bytes = lower.as_bytes();
    let mut codes: Vec<&str> = Vec::new();
    let mut last_end = 0;
    for m in table.phrases.occurrences(bytes) {
        let before = m.start.checked_sub(1).and_then(|i| bytes.get(i));
        let after = bytes.get(m.end);
        if before.is_some_and(u8::is_ascii_alphanumeric)
            || after.is_some_and(u8::is_ascii_alphanumeric)
            // "Virginia" inside "West Virginia", already counted.
            || m.end <= last_end
        {
            continue;
        }
        last_end = m.end;
        let rest = &lower[m.end..];
        let Some(mut code) = table.codes.get(m.phrase).copied() else {
            continue;
        };
        if !law_mentions_scope && is_law_mention(rest) {
            continue;
        }
        if code == "WA"
            && (rest.starts_with(", d") || rest.starts_with(" d.c") || rest.starts_with(" dc"))
        {
            code = "DC";
        }
        codes.push(code);
    }
    codes.into_iter().map(Scope::state).collect()
}

/// "Colorado's Equal Pay ..." or "Colorado Equal Pay ...": a law's name.
fn is_law_mention(rest: &str) -> bool {
    rest.starts_with("'s") || rest.starts_with("’s") || rest.starts_with(" equal pay")
}

pub(super) fn has_word(lower: &str, word: &str) -> bool {
    lower.match_indices(word).any(|(i, _)| {
        let b = lower.as_bytes();
        !i.checked_sub(1)
            .and_then(|j| b.get(j))
            .is_some_and(u8::is_ascii_alphanumeric)
            && !b.get(i + word.len()).is_some_and(u8::is_ascii_alphanumeric)
    })
}

/// An office table's row label: "AZ-Chandler:", "TX-DAL-Downtown Dallas:",
/// "NY-New York:". The locality is the last part of the label.
fn office_prefix(text: &str) -> Option<Scope> {
    let t = text.trim_start_matches(|c: char| !c.is_alphanumeric());
    let (label, row) = t.split_once(':')?;
    // A row of figures follows: "AZ-Chandler: Min: $112,000", not "PA-C
    // Compensation: ...".
    let row = row.trim_start();
    if !(row.starts_with(['$', 'M', 'm']) || row.starts_with(|c: char| c.is_ascii_digit())) {
        return None;
    }
    let (code, place) = label.split_once('-')?;
    if !is_state_code(code) || label.len() > 60 {
        return None;
    }
    let mut parts = place.split('-').map(str::trim);
    let first = parts.next()?;
    let last = parts.next_back().unwrap_or(first);
    if last.is_empty() || !last.starts_with(|c: char| c.is_ascii_uppercase()) {
        return None;
    }
    // "CA-SF-Financial District": a city code, then the office's area.
    let locality = match (code, first) {
        ("NY", "New York" | "NYC") => "New York City",
        (_, _) if first != last => CITY_CODES
            .iter()
            .find(|(c, _)| *c == first)
            .map_or(last, |&(_, city)| city),
        _ => last,
    }
    .to_string();
    Some(Scope {
        locality: Some(locality),
        subdivision: format!("US-{code}"),
    })
}

/// City codes that office tables put between the state and the office
/// ("TX-DAL-Downtown Dallas").
const CITY_CODES: &[(&str, &str)] = &[
    ("ATL", "Atlanta"),
    ("CHI", "Chicago"),
    ("CLT", "Charlotte"),
    ("DAL", "Dallas"),
    ("DEN", "Denver"),
    ("LA", "Los Angeles"),
    ("MSP", "Minneapolis"),
    ("NYC", "New York City"),
    ("PHX", "Phoenix"),
    ("SEA", "Seattle"),
    ("SF", "San Francisco"),
    ("STL", "Saint Louis"),
];

/// "in Broomfield, CO": a city and a state code after "in".
fn city_and_code(text: &str) -> Option<Scope> {
    for (at, _) in text.match_indices(", ") {
        let Some(code) = text.get(at + 2..at + 4) else {
            continue;
        };
        let after = text.as_bytes().get(at + 4);
        if !is_state_code(code) || after.is_some_and(u8::is_ascii_alphanumeric) {
            continue;
        }
        let before = &text[..at];
        let Some(in_at) = before.rfind(" in ") else {
            continue;
        };
        let city = before[in_at + 4..].trim();
        let words = city.split_whitespace().count();
        if (1..=3).contains(&words)
            && city
                .split_whitespace()
                .all(|w| w.starts_with(|c: char| c.is_ascii_uppercase()))
        {
            return Some(Scope {
                locality: Some(city.to_string()),
                subdivision: format!("US-{code}"),
            });
        }
    }
    None
}

/// "NSA-MD location": a site named by a state code before "location".
fn site_code(text: &str) -> Option<Scope> {
    let (before, _) = text.split_once(" location")?;
    let code = before.get(before.len().checked_sub(2)?..)?;
    let sep = before.as_bytes().get(before.len().checked_sub(3)?);
    (is_state_code(code) && matches!(sep, Some(b'-' | b' '))).then(|| Scope::state(code))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sub(text: &str) -> Option<String> {
        scope_in(text, false).map(|s| s.subdivision)
    }

    #[test]
    fn state_names_and_their_exceptions() {
        assert_eq!(
            sub("For Colorado-based roles: Minimum annual salary of").as_deref(),
            Some("US-CO")
        );
        assert_eq!(
            sub("If performed in Nevada, this position has").as_deref(),
            Some("US-NV")
        );
        assert_eq!(
            sub("For COLORADO Candidates ONLY:").as_deref(),
            Some("US-CO")
        );
        assert_eq!(sub("Jobs in West Virginia").as_deref(), Some("US-WV"));
        assert_eq!(
            sub("In compliance with Colorado's Equal Pay for Equal Work Act, the range"),
            None
        );
        assert_eq!(
            scope_in(
                "As required by the Colorado Equal Pay Transparency Act",
                true
            )
            .map(|s| s.subdivision)
            .as_deref(),
            Some("US-CO")
        );
        assert_eq!(sub("Offices in Colorado and Texas"), None);
        assert_eq!(
            sub(
                "The range for this position in California, Colorado, New York City and Washington is"
            ),
            None
        );
        assert_eq!(
            sub("Location Denver, CO New York City, NY Rate US60-80hr"),
            None
        );
        assert_eq!(sub("Based in Washington, DC").as_deref(), Some("US-DC"));
        assert_eq!(sub("Remote within the United States"), None);
        assert_eq!(sub("Coloradoan"), None);
    }

    #[test]
    fn offices_cities_and_sites() {
        let s = scope_in("AZ-PHX-Northwest Phoenix: Min: $112,000", false).unwrap();
        assert_eq!(
            (s.locality.as_deref(), s.subdivision.as_str()),
            (Some("Phoenix"), "US-AZ")
        );
        let s = scope_in("CA-SF-Financial District: Min: $134,400", false).unwrap();
        assert_eq!(s.locality.as_deref(), Some("San Francisco"));
        let s = scope_in("AZ-Chandler: Min: $112,000", false).unwrap();
        assert_eq!(s.locality.as_deref(), Some("Chandler"));
        let s = scope_in("NY-New York: Min: $134,400", false).unwrap();
        assert_eq!(s.locality.as_deref(), Some("New York City"));
        let s = scope_in("The salary range for this role in Broomfield, CO is", false).unwrap();
        assert_eq!(
            (s.locality.as_deref(), s.subdivision.as_str()),
            (Some("Broomfield"), "US-CO")
        );
        assert_eq!(
            sub("(Entry/Developmental) NSA-MD location").as_deref(),
            Some("US-MD")
        );
        let s = scope_in("NYC pay range", false).unwrap();
        assert_eq!(
            (s.locality.as_deref(), s.subdivision.as_str()),
            (Some("New York City"), "US-NY")
        );
        assert_eq!(sub("Salary Range: $120k - $150k"), None);
        assert_eq!(sub("IT-Support: $50"), None);
        assert_eq!(sub("PA-C Compensation: competitive"), None);
    }
}

//! Pay stated in the description text ("Salary Range: $120k - $150k",
//! "Up to $75/hr W2", "For Colorado-based roles: Minimum annual salary of
//! $98,900"): every statement, each with the jurisdiction it is limited
//! to. Precision first: a figure is read as the job's pay only with a pay
//! word on its line (or a period named with it, a "Min:"/"Max:" label, or
//! a line about pay right above a line that is the range), and no sign of
//! other money (revenue, funding, 401(k), bonuses, tuition, ...) in its
//! own words; figures must be plausible for their period. Which statement
//! applies to the posting is the salary stage's choice (`mod.rs`).
//!
//! Not for: structured salary fields (see `structured.rs`).

use std::sync::OnceLock;

use super::money_figures;
use super::pay_unit::PayUnit;
use super::scope::{Scope, has_word, scope_in};
use crate::enrich::phrases::Phrases;
use crate::text_scan;

/// One pay statement of the text, before annualizing.
#[derive(Debug, Clone, PartialEq)]
pub struct TextPay {
    pub min: f64,
    pub max: f64,
    pub unit: Option<PayUnit>,
    pub currency: Option<&'static str>,
    /// "Minimum $X", "starting at $X" (`AtLeast`); "up to $X" (`UpTo`).
    pub qualifier: Option<Qualifier>,
    /// The jurisdiction the statement is limited to, from its line or the
    /// line introducing it ("Colorado only:").
    pub scope: Option<Scope>,
    /// The line the figures were read from (at most 200 characters; two
    /// lines joined for a minimum and a maximum stated apart).
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
    "min:",
    "at least",
    "starting at",
    "starts at",
    "starting from",
    "from $",
];
const UP_TO_CUES: &[&str] = &["up to", "maximum", "max.", "max:", "as much as"];

/// Words that mark a line as being about the job's pay (folded lower case).
const PAY_CUES: &[&str] = &[
    "salary",
    "salaries",
    "slaary",
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
    // "a $2M budget", not "the budgeted salary".
    "budget ",
    "budget.",
    "budget,",
    "budgets",
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
    "additional compensation",
    "retention bonus",
    "annual bonus",
    "lifetime",
    // "the total VIP award is based on ..."; not "award-winning".
    "award ",
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

/// Words after a figure that make it a count ("15,000 employees").
const COUNT_NOUNS: &[&str] = &[
    "employees",
    "people",
    "customers",
    "clients",
    "users",
    "members",
    "students",
    "patients",
    "stores",
    "locations",
    "companies",
    "businesses",
    "candidates",
    "jobs",
    "hours",
    "sq",
    "square",
    "miles",
];

/// Evidence is cut to this many characters.
const EVIDENCE_CHARS: usize = 200;

/// Words that make a figure pay without a currency marker on its line:
/// "the salary range for this position in Colorado is 115,000 to 120,000".
const BARE_FIGURE_CUES: &[&str] = &[
    "salary",
    "salaries",
    "slaary",
    "compensation",
    "wage",
    "pay range",
    "pay rate",
    "rate range",
    "hourly rate",
    "base pay",
];

/// Words on a line above a range that may say where it applies ("Please
/// see below for the salary range for work locations in Colorado only:").
const CONTEXT_CUES: &[&str] = &[
    "pay",
    "salary",
    "compensation",
    "wage",
    "range",
    "only",
    "residents",
    "candidates",
    "applicants",
    "hired",
    "transparency",
];

/// Words right after a figure that make it other money ("+ $20k bonus").
const OTHER_MONEY_AFTER: &[&str] = &[
    "bonus",
    "sign",
    "signing",
    "relocation",
    "stipend",
    "equity",
    "stock",
    "commission",
    "commissions",
    "referral",
];

/// Every pay statement in plain description text, each with its scope.
/// `local_dollar` is the posting country's currency when it is a dollar
/// (for a bare `$`, and for figures without a marker).
pub fn find_all(
    text: &str,
    local_dollar: Option<&'static str>,
    usd_per_unit: &dyn Fn(&str) -> Option<f64>,
) -> Vec<TextPay> {
    let cues = cue_tables();
    let mut found: Vec<TextPay> = Vec::new();
    // A minimum stated on a line of its own ("Minimum - $12.55/hr"), kept
    // until the next line with a figure says whether a maximum follows.
    let mut minimum: Option<TextPay> = None;
    // Pay needs a figure: only the few lines with a digit are looked at.
    for line in lines_with_digits(text) {
        let bare = cues.bare.in_text(line);
        let start = line.as_ptr() as usize - text.as_ptr() as usize;
        let marked = may_hold_money(line);
        // A line that opens with an amount may be a range under a line
        // about pay ("Salary" / "132,928 - 182,776"); only then are the
        // lines above read.
        let opening = line.trim_start_matches(|c: char| !c.is_alphanumeric());
        let run = opening
            .split(|c: char| !(c.is_ascii_digit() || c == ','))
            .next()
            .unwrap_or("");
        let opens_with_amount = !run.is_empty()
            && (marked || run.contains(',') || opening[run.len()..].starts_with(['k', 'K']));
        let cued_above = opens_with_amount && cue_above(text, start);
        // ASCII only: the cues are ASCII, and byte offsets stay those of
        // the line.
        let lower = if bare || marked || cued_above {
            line.to_ascii_lowercase()
        } else {
            String::new()
        };
        let (mut pays, judged_apart) = if bare || marked || cued_above {
            line_pays(line, &lower, local_dollar, bare, cued_above, usd_per_unit)
        } else {
            (Vec::new(), false)
        };
        // A line of one statement is judged for other money as a whole;
        // one of several, or a paragraph, statement by statement (in
        // `line_pays`).
        if !judged_apart && other_money(&lower) {
            pays.clear();
        }
        for (pay, _) in &mut pays {
            if pay.scope.is_none() {
                pay.scope = context_scope(text, start);
            }
        }
        if let Some(open) = minimum.take() {
            match pays.as_slice() {
                [(max, Some(Label::Max))] if max.min == max.max => {
                    let joined = TextPay {
                        max: max.max,
                        unit: open.unit.or(max.unit),
                        qualifier: None,
                        evidence: format!("{}\n{}", open.evidence, max.evidence),
                        ..open
                    };
                    pays.clear();
                    push(&mut found, joined);
                }
                _ => push(&mut found, open),
            }
        }
        // A minimum last on its line ("AZ-Chandler: Min: $112,000 Mid:
        // $160,000") waits for a "Max:" on the next line with a figure.
        if let [(only, Some(Label::Min))] = pays.as_slice()
            && only.min == only.max
        {
            minimum = pays.pop().map(|(p, _)| p);
            continue;
        }
        for (pay, _) in pays {
            push(&mut found, pay);
        }
    }
    if let Some(open) = minimum {
        push(&mut found, open);
    }
    found
}

/// The same figures stated again count once: with the scope either
/// statement names (offices with equal ranges stay apart). So does a bound
/// of a range already stated.
fn push(found: &mut Vec<TextPay>, pay: TextPay) {
    // A period stated once ("/year") and not again: the same statement.
    let same_unit = |f: &TextPay| f.unit == pay.unit || f.unit.is_none() || pay.unit.is_none();
    // A floor or ceiling that a range already stated has ("Min: $112,000"
    // again in a second table) says nothing new.
    let bound_of = |f: &TextPay| {
        f.scope == pay.scope
            && f.currency == pay.currency
            && same_unit(f)
            && match pay.qualifier {
                Some(Qualifier::AtLeast) => f.min == pay.min,
                Some(Qualifier::UpTo) => f.max == pay.max,
                None => false,
            }
    };
    if found.iter().any(bound_of) {
        return;
    }
    let same = |f: &TextPay| {
        f.min == pay.min
            && f.max == pay.max
            && f.currency == pay.currency
            && f.qualifier == pay.qualifier
            && same_unit(f)
            && (f.scope.is_none() || pay.scope.is_none() || f.scope == pay.scope)
    };
    match found.iter_mut().find(|f| same(f)) {
        Some(earlier) => {
            if earlier.scope.is_none() {
                earlier.scope = pay.scope;
            }
            if earlier.unit.is_none() {
                earlier.unit = pay.unit;
            }
        }
        None => found.push(pay),
    }
}

/// A label before figures: "Min:", "Mid:", "Max:" (also "Minimum - ").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Label {
    Min,
    Mid,
    Max,
}

/// The label a piece of text ends with (the words right before a figure).
fn label_before(lower_before: &str) -> Option<Label> {
    let t = lower_before.trim_end_matches(|c: char| !c.is_alphanumeric());
    let word = t
        .rsplit(|c: char| !c.is_alphanumeric())
        .next()
        .unwrap_or("");
    match word {
        "min" | "minimum" => Some(Label::Min),
        "mid" | "midpoint" => Some(Label::Mid),
        "max" | "maximum" => Some(Label::Max),
        _ => None,
    }
}

/// One figure (or range) found on a line, before it is judged.
struct Found {
    at: usize,
    end: usize,
    range: money_figures::TextRange,
    currency: Option<&'static str>,
    label: Option<Label>,
    /// Joined from a "Min:" and a "Max:" figure: labelled as pay.
    paired: bool,
    /// A currency marker (or an Indian amount word) came with it.
    marked: bool,
}

/// The pay statements of one line, each with the label it had ("Min:"),
/// and whether they were judged for other money one by one (a line of
/// several statements, or a paragraph): every range read in turn; minimum and
/// maximum stated apart ("Min: $112,000 Mid: $160,000 Max: $208,000")
/// joined; other money and implausible figures left out; each with the
/// scope named next to it.
fn line_pays(
    line: &str,
    lower: &str,
    local_dollar: Option<&'static str>,
    bare: bool,
    cued_above: bool,
    usd_per_unit: &dyn Fn(&str) -> Option<f64>,
) -> (Vec<(TextPay, Option<Label>)>, bool) {
    let cues = cue_tables();
    let mut read: Vec<Found> = Vec::new();
    let mut from = 0;
    let indian = INDIAN_AMOUNT_WORDS
        .iter()
        .any(|w| lower.split(|c: char| !c.is_alphanumeric()).any(|t| t == *w));
    while let Some((at, marked, by_marker)) =
        money_start(line, from, local_dollar, bare, cued_above, indian)
    {
        let Some(range) = money_figures::range_at(&line[at..]) else {
            break;
        };
        let end = at + range.end;
        let currency = if by_marker {
            marked
        } else {
            marker_after(&line[end..]).or(marked)
        };
        let label = label_before(lower.get(from..at).unwrap_or(""));
        read.push(Found {
            at,
            end,
            range,
            currency,
            label,
            paired: false,
            marked: by_marker,
        });
        from = end.max(at + 1);
        while !line.is_char_boundary(from) {
            from += 1;
        }
    }
    // Minimum and maximum stated apart become one range; a midpoint goes.
    let mut joined: Vec<Found> = Vec::new();
    for f in read {
        if f.label == Some(Label::Mid) {
            continue;
        }
        // "$92,735.00 - $109,100.00 - $120,010.00": minimum, midpoint and
        // maximum in a chain.
        if let Some(prev) = joined.last_mut()
            && prev.range.figures == 2
            && f.range.figures == 1
            && line.get(prev.end..f.at).is_some_and(|gap| {
                gap.trim_matches([' ', '$']) == "-" || gap.trim_matches([' ', '$']) == "–"
            })
        {
            prev.range.max = f.range.max;
            prev.range.unit = prev.range.unit.or(f.range.unit);
            prev.end = f.end;
            continue;
        }
        if f.label == Some(Label::Max)
            && let Some(prev) = joined.last_mut()
            && prev.label == Some(Label::Min)
            && prev.range.figures == 1
            && f.range.figures == 1
        {
            prev.range.max = f.range.max;
            prev.range.unit = prev.range.unit.or(f.range.unit);
            prev.end = f.end;
            prev.label = None;
            prev.paired = true;
            continue;
        }
        joined.push(f);
    }
    // A line that is the range itself ("$50,000 - $85,000") under a line
    // about pay is pay too.
    let cue = cues.pay.in_text(lower)
        || cued_above
            && joined
                .first()
                .is_some_and(|f| line[..f.at].trim().len() <= 1);
    let leading = joined
        .first()
        .is_some_and(|f| scope_in(&line[..f.at], false).is_some());
    let many = joined.len() > 1;
    let judged_apart = many || line.len() > EVIDENCE_CHARS;
    let mut pays = Vec::new();
    for (i, f) in joined.iter().enumerate() {
        let before_from = i
            .checked_sub(1)
            .and_then(|j| joined.get(j))
            .map_or(0, |p| p.end);
        let lower_before = lower.get(before_from..f.at).unwrap_or("");
        let unit = f.range.unit.or_else(|| unit_named_before(lower_before));
        // A figure under a "Min:" or "Max:" label is in a table of pay.
        let labelled = f.paired || matches!(f.label, Some(Label::Min | Label::Max));
        if !cue && !labelled && unit.is_none() {
            continue;
        }
        let (min, max) = if f.range.min > f.range.max {
            (f.range.max, f.range.min)
        } else {
            (f.range.min, f.range.max)
        };
        // Plausibility is judged in US dollars; without a rate, only dollars pass.
        let usd = match f.currency {
            Some(c) => usd_per_unit(c),
            None => Some(1.0),
        };
        let Some(usd) = usd else { continue };
        if !plausible(min * usd, unit) || !plausible(max * usd, unit) {
            continue;
        }
        // A figure without a currency marker is pay only at a yearly
        // magnitude, or with "per hour" after it ([`bare_figure_at`]).
        if !f.marked && unit != Some(PayUnit::Hour) && !plausible(min * usd, None) {
            continue;
        }
        let after_to = joined.get(i + 1).map_or(line.len(), |n| n.at);
        let before = &line[before_from..f.at];
        let after = line.get(f.end..after_to).unwrap_or("");
        if i > 0 && other_money_after(after) {
            continue;
        }
        // Judged on its own words: from the statement before it to the
        // end of its clause ("Base salary: $100,000 - $120,000; Annual
        // bonus: $10,000" is a salary and then a bonus).
        if judged_apart {
            // Up to the end of its sentence; among several statements, of
            // its clause.
            let rest = sentence_start_of(after);
            let clause_end = f.end + if many { clause_of(rest) } else { rest }.len();
            let from = f.at - sentence_end_of(before).len();
            if lower.get(from..clause_end).is_none_or(other_money) {
                continue;
            }
        }
        let qualifier = if min != max {
            None
        } else if cues.at_least.in_text(lower_before)
            || f.label == Some(Label::Min)
            || after.starts_with('+')
        {
            Some(Qualifier::AtLeast)
        } else if cues.up_to.in_text(lower_before) || f.label == Some(Label::Max) {
            Some(Qualifier::UpTo)
        } else {
            None
        };
        // Only the sentence of the figures: "one of the Best Places to Work
        // in Colorado. Our cash compensation for this role is ..." is not
        // a Colorado range.
        let (before, after) = (sentence_end_of(before), sentence_start_of(after));
        let scope = if leading {
            scope_in(before, false).or_else(|| scope_in(after, false))
        } else {
            scope_in(after, false).or_else(|| scope_in(before, false))
        };
        // The line; on a line of several statements, the part of this one;
        // on a long line (a description sent as one paragraph), the
        // sentence of the figures.
        let (mut from, mut to) = match (many, leading) {
            (false, _) => (0, line.len()),
            (true, true) => (before_from, f.end),
            (true, false) => (f.at, after_to),
        };
        if line.len() > EVIDENCE_CHARS {
            from = from.max(f.at - before.len());
            to = to.min(f.end + after.len());
        }
        // The figures stay in the evidence however long the sentence.
        let to = line.floor_char_boundary(to.min(f.end + EVIDENCE_CHARS / 4).max(f.end));
        let from = line.ceil_char_boundary(from.max(to.saturating_sub(EVIDENCE_CHARS)));
        let evidence = line[from..to].trim();
        let pay = TextPay {
            min,
            max,
            unit,
            currency: f.currency,
            qualifier,
            scope,
            evidence: evidence.chars().take(EVIDENCE_CHARS).collect(),
        };
        pays.push((pay, f.label));
    }
    (pays, judged_apart)
}

/// The first clause of `text`: up to ";", "|" or ",".
fn clause_of(text: &str) -> &str {
    text.find([';', '|', ',']).map_or(text, |at| &text[..at])
}

/// A pay period named before the figures ("an hourly rate range of $30.94
/// - $36.39", "minimum annual salary of $98,900"): the last one named.
fn unit_named_before(lower_before: &str) -> Option<PayUnit> {
    lower_before
        .rsplit(|c: char| !c.is_alphanumeric())
        .filter_map(|w| match w {
            "hourly" => Some(PayUnit::Hour),
            "daily" => Some(PayUnit::Day),
            "weekly" => Some(PayUnit::Week),
            "monthly" => Some(PayUnit::Month),
            "annual" | "annually" | "yearly" => Some(PayUnit::Year),
            _ => None,
        })
        .next()
}

/// Whether the word right after a figure makes it other money ("$20k
/// bonus"; not "$111,000 + bonus", the pay and then a bonus). Asked of a
/// figure after the line's first: "$100K - $115K Bonus" is a base range.
fn other_money_after(after: &str) -> bool {
    let word = after
        .trim_start()
        .split(|c: char| !c.is_alphanumeric())
        .next()
        .unwrap_or("")
        .to_lowercase();
    OTHER_MONEY_AFTER.contains(&word.as_str())
}

/// Where a sentence ends: ". ", "! ", "? ".
const SENTENCE_ENDS: [&str; 3] = [". ", "! ", "? "];

/// The part of `text` after its last sentence end.
fn sentence_end_of(text: &str) -> &str {
    SENTENCE_ENDS
        .iter()
        .filter_map(|e| text.rfind(e).map(|at| at + e.len()))
        .max()
        .map_or(text, |at| &text[at..])
}

/// The part of `text` before its first sentence end.
fn sentence_start_of(text: &str) -> &str {
    SENTENCE_ENDS
        .iter()
        .filter_map(|e| text.find(e))
        .min()
        .map_or(text, |at| &text[..at])
}

/// Whether a (lower-case) text speaks of other money than the job's pay.
/// What follows " + " after the figures is added to the pay ("+ annual
/// bonus", "+ Signing Bonus"): it does not make the text other money.
fn other_money(lower: &str) -> bool {
    let first_digit = lower.find(|c: char| c.is_ascii_digit()).unwrap_or(0);
    let judged = [" + ", " plus "]
        .iter()
        .filter_map(|sep| {
            lower
                .get(first_digit..)?
                .find(sep)
                .map(|at| first_digit + at)
        })
        .min()
        .map_or(lower, |at| &lower[..at]);
    cue_tables().not_pay.in_text(judged)
}

/// Whether one of the two lines above `line_start` speaks of pay.
fn cue_above(text: &str, line_start: usize) -> bool {
    let cues = cue_tables();
    text.get(..line_start).is_some_and(|above| {
        above
            .lines()
            .rev()
            .filter(|l| !l.trim().is_empty())
            .take(2)
            .any(|l| cues.pay.in_text(l))
    })
}

/// The scope named on one of the three lines without figures above
/// `line_start` (a table of pay sits under its one introducing line), when
/// such a line speaks of pay or of who it applies to ("Colorado Compensation",
/// "(for Colorado Residents Only)").
fn context_scope(text: &str, line_start: usize) -> Option<Scope> {
    let cues = cue_tables();
    let above = text.get(..line_start)?;
    let lines = above
        .lines()
        .rev()
        .filter(|l| !l.trim().is_empty() && !l.bytes().any(|b| b.is_ascii_digit()))
        .take(3)
        .filter(|l| l.len() <= 400);
    for l in lines {
        let lower = l.to_ascii_lowercase();
        // A short heading ("Rest Of Colorado") needs no pay word; a place
        // line ("Location: Washington, DC") is not a scope.
        let heading = l.split_whitespace().count() <= 5
            && !l.contains(',')
            && !lower.trim_start().starts_with("location");
        if heading || cues.context.in_text(l) {
            if let Some(scope) = scope_in(l, true) {
                return Some(scope);
            }
            // "All other locations:" ends the search: what is above it is
            // about other rows.
            if l.trim_end().ends_with(':') && (has_word(&lower, "other") || has_word(&lower, "all"))
            {
                return None;
            }
        }
    }
    None
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
    /// For a table asked of most lines with a figure: the cues as written
    /// in lower case, Title case and capitals, for the packed searcher,
    /// which skips a line without any of them faster than the automaton
    /// walks it.
    prefilter: Option<Phrases>,
}

impl CueTable {
    fn new(cues: &'static [&'static str]) -> Self {
        CueTable {
            cues,
            phrases: Phrases::new(cues).ok(),
            prefilter: None,
        }
    }

    /// A table whose cues match in any ASCII case: searched in the text as
    /// written, with no lower-case copy (the cues are ASCII).
    fn any_case(cues: &'static [&'static str]) -> Self {
        CueTable {
            cues,
            phrases: Phrases::ascii_case_insensitive(cues).ok(),
            prefilter: None,
        }
    }

    /// [`CueTable::any_case`], with the prefilter: the cues' first words as
    /// usually written, in one of three cases ("hourly", "Hourly",
    /// "HOURLY"); a cue whose first word is in another mix of cases
    /// ("sALARY") is not found.
    fn common_cases(cues: &'static [&'static str]) -> Self {
        let mut first_words: Vec<&str> = cues.iter().filter_map(|c| c.split(' ').next()).collect();
        first_words.sort_unstable();
        first_words.dedup();
        let variants: Vec<String> = first_words
            .iter()
            .flat_map(|w| {
                let mut title = w.to_string();
                if let Some(first) = title.get_mut(..1) {
                    first.make_ascii_uppercase();
                }
                [w.to_string(), title, w.to_ascii_uppercase()]
            })
            .collect();
        CueTable {
            prefilter: Phrases::new(&variants).ok(),
            ..CueTable::any_case(cues)
        }
    }

    /// Whether one of the cues is in `lower` as [`has_cue`] finds it.
    fn in_text(&self, lower: &str) -> bool {
        if self
            .prefilter
            .as_ref()
            .is_some_and(|p| !p.occurs_in(lower.as_bytes()))
        {
            return false;
        }
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

/// Builds the cue tables now rather than on first use.
pub fn prepare() {
    let _ = cue_tables();
    let _ = may_hold_money("");
}

/// The cue tables of [`find_all`].
struct CueTables {
    pay: CueTable,
    not_pay: CueTable,
    bare: CueTable,
    context: CueTable,
    at_least: CueTable,
    up_to: CueTable,
}

fn cue_tables() -> &'static CueTables {
    static TABLES: OnceLock<CueTables> = OnceLock::new();
    TABLES.get_or_init(|| CueTables {
        pay: CueTable::any_case(PAY_CUES),
        not_pay: CueTable::new(NOT_PAY_CUES),
        bare: CueTable::common_cases(BARE_FIGURE_CUES),
        context: CueTable::any_case(CONTEXT_CUES),
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

/// Where the next money figure of a line starts at or after `from`: a
/// currency marker right before digits, or (`bare`: the line names pay)
/// a figure standing as a word ([`bare_figure_at`]). With its currency,
/// and whether a marker gave it.
fn money_start(
    line: &str,
    from: usize,
    local_dollar: Option<&'static str>,
    bare: bool,
    cued_above: bool,
    indian: bool,
) -> Option<(usize, Option<&'static str>, bool)> {
    let rest_of_line = line.get(from..)?;
    // Indian pay is often written without a symbol: "12 LPA", "30-35 Lacs".
    if indian && let Some(at) = rest_of_line.find(|c: char| c.is_ascii_digit()) {
        return Some((from + at, Some("INR"), true));
    }
    let bytes = line.as_bytes();
    let bare_at = (bare || cued_above)
        .then(|| {
            rest_of_line
                .char_indices()
                .map(|(i, _)| from + i)
                .find(|&i| {
                    bytes.get(i).is_some_and(u8::is_ascii_digit)
                        && !i
                            .checked_sub(1)
                            .and_then(|j| bytes.get(j))
                            .is_some_and(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b','))
                        && bare_figure_at(line, i, cued_above)
                })
        })
        .flatten();
    for (i, _) in rest_of_line.char_indices() {
        let i = from + i;
        if bare_at.is_some_and(|b| b < i) {
            break;
        }
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
                    return Some((at, Some(code), true));
                }
            }
        }
    }
    bare_at.map(|at| (at, local_dollar, false))
}

/// Whether a figure without a currency marker at `i` reads as pay: a pay
/// word shortly before it ("10,000 companies ... salary details" is not),
/// and written as an amount ("115,000", "70K") or right after a label
/// ("Salary Min: 67200"), not a bare number such as a requisition id, and
/// not a retirement plan ("401k").
fn bare_figure_at(line: &str, i: usize, cued_above: bool) -> bool {
    const WINDOW: usize = 60;
    let from = line.floor_char_boundary(i.saturating_sub(WINDOW));
    let cued = line
        .get(from..i)
        .is_some_and(|b| cue_tables().bare.in_text(b));
    // Or the line is the range, under a line about pay ("Salary" /
    // "132,928 - 182,776").
    let under_cue = cued_above && line[..i].trim().is_empty();
    if !cued && !under_cue {
        return false;
    }
    let rest = &line[i..];
    let digits = rest
        .find(|c: char| !(c.is_ascii_digit() || c == ',' || c == '.'))
        .unwrap_or(rest.len());
    let figure = &rest[..digits];
    let after = &rest[digits..];
    if matches!(figure, "401" | "403" | "457") {
        return false;
    }
    // "12,000 employees": a count, not pay.
    let next_word = after
        .trim_start_matches([' ', '+'])
        .split(|c: char| !c.is_ascii_alphabetic())
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    if COUNT_NOUNS.contains(&next_word.as_str()) {
        return false;
    }
    // "Hourly Rate of 50-66 per Hour": a period named after the figures
    // ("40 hour a week" names none).
    let hourly = money_figures::range_at(rest).is_some_and(|r| {
        let read = rest[..r.end].to_lowercase();
        ["per hour", "/hr", "/hour", "/ hr", "an hour"]
            .iter()
            .any(|p| read.contains(p))
    });
    let grouped = figure.contains(',');
    // "70K", and "65-100K" or "150 - 170k" (the range's multiplier).
    let range_text = after.trim_start_matches(|c: char| {
        c.is_ascii_digit() || matches!(c, ',' | '.' | '-' | '–' | ' ')
    });
    let thousands = range_text.starts_with(['k', 'K']);
    let labelled = line[..i].trim_end().ends_with(':');
    grouped || thousands || labelled || hourly
}

/// A currency code written after a figure ("125,000 USD/Year").
fn marker_after(after: &str) -> Option<&'static str> {
    let t = after.trim_start();
    MARKERS
        .iter()
        .filter(|(m, _)| m.len() == 3)
        .find(|(m, _)| {
            t.strip_prefix(m)
                .is_some_and(|r| !r.starts_with(|c: char| c.is_alphanumeric()))
        })
        .map(|&(_, code)| code)
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

    /// The one statement `text` makes (none when it makes none or several).
    fn one(text: &str) -> Option<TextPay> {
        let mut all = find_all(text, None, &dollars);
        (all.len() == 1).then(|| all.remove(0))
    }

    fn pay(text: &str) -> Option<(f64, f64, Option<PayUnit>)> {
        one(text).map(|p| (p.min, p.max, p.unit))
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
    fn several_offers_are_all_kept() {
        let text = "Level I salary: $60,000 - $70,000\nLevel II salary: $80,000 - $95,000";
        let all = find_all(text, None, &dollars);
        let figures: Vec<(f64, f64)> = all.iter().map(|p| (p.min, p.max)).collect();
        assert_eq!(figures, [(60_000.0, 70_000.0), (80_000.0, 95_000.0)]);
    }

    #[test]
    fn indian_pay_without_a_symbol() {
        let inr = |c: &str| (c == "INR").then_some(0.012);
        let p = find_all("CTC: 30-35 Lacs per annum", None, &inr).remove(0);
        assert_eq!(
            (p.min, p.max, p.currency, p.unit),
            (30e5, 35e5, Some("INR"), Some(PayUnit::Year))
        );
        let p = find_all("Salary: 12 LPA", None, &inr).remove(0);
        assert_eq!(
            (p.min, p.currency, p.unit),
            (12e5, Some("INR"), Some(PayUnit::Year))
        );
    }

    #[test]
    fn bounds() {
        let p = one("Minimum annual salary of $121,800").unwrap();
        assert_eq!((p.min, p.qualifier), (121_800.0, Some(Qualifier::AtLeast)));
        let p = one("Up to $75/hr W2").unwrap();
        assert_eq!(p.qualifier, Some(Qualifier::UpTo));
        let p = one("Salary: $180k+").unwrap();
        assert_eq!((p.min, p.qualifier), (180_000.0, Some(Qualifier::AtLeast)));
        let p = one("Machine Learning Engineer starts at a minimum annual salary of $115,000.")
            .unwrap();
        assert_eq!((p.min, p.qualifier), (115_000.0, Some(Qualifier::AtLeast)));
    }

    fn scope_of(p: &TextPay) -> Option<&str> {
        p.scope.as_ref().map(|s| s.subdivision.as_str())
    }

    #[test]
    fn scoped_statements_keep_their_scope() {
        let p = one("Colorado only: minimum salary of $111,000 + bonus + equity").unwrap();
        assert_eq!((p.min, scope_of(&p)), (111_000.0, Some("US-CO")));
        let text = "If performed in Nevada, this position has an hourly rate range of $30.94 - $36.39.\n\
                    If performed in Colorado, this position has an hourly rate range of $29.46 - $34.66.";
        let all = find_all(text, None, &dollars);
        let got: Vec<_> = all
            .iter()
            .map(|p| (p.min, p.max, p.unit, scope_of(p)))
            .collect();
        assert_eq!(
            got,
            [
                (30.94, 36.39, Some(PayUnit::Hour), Some("US-NV")),
                (29.46, 34.66, Some(PayUnit::Hour), Some("US-CO"))
            ]
        );
        // The scope on the line above a bare range.
        let text = "Please see below for the salary range for work locations in Colorado only:\n$50,000 - $85,000";
        assert_eq!(scope_of(&one(text).unwrap()), Some("US-CO"));
        // A row heading for other places ends the search upwards.
        let text = "Colorado pay ranges:\n$50,000 - $85,000\nPay range for all other locations:\n$45,000 - $55,000";
        let all = find_all(text, None, &dollars);
        assert_eq!(
            all.iter().map(scope_of).collect::<Vec<_>>(),
            [Some("US-CO"), None]
        );
        // An unrelated state above is not a scope.
        let text = "Our team works from Boulder, Colorado.\nSalary: $50,000 - $85,000";
        assert_eq!(scope_of(&one(text).unwrap()), None);
    }

    #[test]
    fn office_tables_and_sites() {
        let all = find_all(
            "AZ-Chandler: Min: $112,000 Mid: $160,000 Max: $208,000\nNY-New York: Min: $134,400 Mid: $192,000 Max: $249,600",
            None,
            &dollars,
        );
        let got: Vec<_> = all
            .iter()
            .map(|p| (p.min, p.max, p.scope.clone().and_then(|s| s.locality)))
            .collect();
        assert_eq!(
            got,
            [
                (112_000.0, 208_000.0, Some("Chandler".to_string())),
                (134_400.0, 249_600.0, Some("New York City".to_string()))
            ]
        );
        let line = "Salary Range: $73,076 - $91,057 (Entry/Developmental) NSA-MD location Salary Range:$84,529 - $112,583 (Full Performance) NSA-TX location";
        let got: Vec<_> = find_all(line, None, &dollars)
            .iter()
            .map(|p| (p.min, scope_of(p).map(str::to_string)))
            .collect();
        assert_eq!(
            got,
            [
                (73_076.0, Some("US-MD".to_string())),
                (84_529.0, Some("US-TX".to_string()))
            ]
        );
    }

    #[test]
    fn each_statement_is_judged_on_its_own_words() {
        let all = find_all(
            "Base salary: $100,000 - $120,000; Annual bonus: $10,000 - $20,000",
            None,
            &dollars,
        );
        let figures: Vec<(f64, f64)> = all.iter().map(|p| (p.min, p.max)).collect();
        assert_eq!(figures, [(100_000.0, 120_000.0)]);
        assert_eq!(
            pay("Salary: $120k-$140k | Sign-on bonus: $10,000 - $15,000"),
            Some((120_000.0, 140_000.0, None))
        );
        // A count is not pay.
        assert_eq!(pay("Salary and benefits for our 12,000 employees"), None);
    }

    #[test]
    fn minimum_midpoint_and_maximum_in_a_chain() {
        let p = one("Salary range: $92,735.00 - $109,100.00 - $120,010.00").unwrap();
        assert_eq!((p.min, p.max), (92_735.0, 120_010.0));
    }

    #[test]
    fn minimum_and_maximum_on_lines_of_their_own() {
        let p = one("Hourly\nMinimum - $12.55/hr\nMaximum - $46.10/hr").unwrap();
        assert_eq!((p.min, p.max, p.unit), (12.55, 46.10, Some(PayUnit::Hour)));
        let p = one("Salary Min: 67200\nSalary Max: 100800").unwrap();
        assert_eq!((p.min, p.max, p.qualifier), (67_200.0, 100_800.0, None));
    }

    #[test]
    fn phrasings_the_issue_names() {
        let p = one("Minimum Slaary we are providing for this role is 125,000 USD/Year").unwrap();
        assert_eq!(
            (p.min, p.currency, p.unit),
            (125_000.0, Some("USD"), Some(PayUnit::Year))
        );
        let p = one("with an estimated salary range of $53,000 to $70,000 / yr.").unwrap();
        assert_eq!(
            (p.min, p.max, p.unit),
            (53_000.0, 70_000.0, Some(PayUnit::Year))
        );
        let gbp = |c: &str| Some(if c == "GBP" { 1.3 } else { 1.0 });
        let p = find_all(
            "Salaries are going to be dependent on your experience, but we’re realistically talking about a range between £100-160k.",
            None,
            &gbp,
        )
        .remove(0);
        assert_eq!(
            (p.min, p.max, p.currency),
            (100_000.0, 160_000.0, Some("GBP"))
        );
        // A bonus after the base is not a second range.
        assert_eq!(
            pay("Salary: $120k base + $20k bonus"),
            Some((120_000.0, 120_000.0, None))
        );
    }
}

//! Classification: the kind of section a heading (or, where the heading
//! says little, the body) gives, by the phrasings in [`super::rules`].

use std::sync::OnceLock;

use super::rules::*;
use super::{Section, SectionKind};
use crate::enrich::phrases::Phrases;
use SectionKind::*;

/// What a heading says about its section.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeadingClass {
    Kind(SectionKind),
    /// A heading (or none) that names no kind: decide from the body, and
    /// fall back to this kind.
    Generic(SectionKind),
}

/// The class of a heading; `None` (untitled text) is generic.
pub fn classify_heading(heading: Option<&str>) -> HeadingClass {
    classify_heading_for(heading, None)
}

/// The class of a heading in a posting by `company` (`hiringOrganization`,
/// already through `normalize`): a heading naming the company says little
/// but leans to `about_company`.
pub fn classify_heading_for(heading: Option<&str>, company: Option<&str>) -> HeadingClass {
    let Some(heading) = heading else {
        return HeadingClass::Generic(Other);
    };
    let norm = normalize(heading);
    let trimmed = norm.trim();
    if let Some(&(_, kind)) = GENERIC_HEADINGS.iter().find(|(h, _)| *h == trimmed) {
        return HeadingClass::Generic(kind);
    }
    if CONDITIONS_HEADINGS.contains(&trimmed) {
        return HeadingClass::Kind(Other);
    }
    // "About Acme": about the company, unless it is about the role or you
    // ("About the Site Reliability Engineer Role").
    if let Some(rest) = trimmed.strip_prefix("about ") {
        let rest = rest.trim_start_matches("the ").trim_start_matches("this ");
        let about_you = rest == "you" || rest.starts_with("you ");
        let about_role = rest.split(' ').any(|w| {
            matches!(
                w,
                "role" | "roles" | "job" | "jobs" | "position" | "positions" | "opportunity"
            )
        });
        if !about_you && !about_role {
            return HeadingClass::Kind(AboutCompany);
        }
    }
    let names_company = company.is_some_and(|c| !c.trim().is_empty() && norm.contains(c));
    // "The Trella Health Experience": what working there is like, not the
    // experience asked for ("Required Trella Health Experience" is).
    if names_company
        && let Some(rest) = trimmed.strip_suffix(" experience")
        && rule_for_words(rest).is_none()
    {
        return HeadingClass::Kind(Benefits);
    }
    // "Project Management As Required": a duty done when asked, unless
    // what is done is itself a requirement ("Licenses as Required").
    if let Some(rest) = trimmed.strip_suffix(" as required") {
        return HeadingClass::Kind(rule_for_words(rest).unwrap_or(Responsibilities));
    }
    if let Some(kind) = first_rule_matching(&norm) {
        return HeadingClass::Kind(kind);
    }
    // "Why Lytx?": the pitch for working there.
    if let Some(rest) = trimmed.strip_prefix("why ")
        && !rest.is_empty()
        && !rest.contains(' ')
        && !matches!(rest, "you" | "this" | "now" | "apply")
    {
        return HeadingClass::Kind(Benefits);
    }
    // "EY | Building a better working world", "Euretos".
    if names_company {
        return HeadingClass::Generic(AboutCompany);
    }
    HeadingClass::Generic(Other)
}

/// A sentence of four words or more opening with "We", "We're" or
/// "We've" (normalized) that is about the company, not about whom it
/// wants (no word of `WANTING_WORDS`: "We're hiring a Data Engineer").
fn speaks_as_the_company(normalized: &str) -> bool {
    let mut words = normalized.split(' ').filter(|w| !w.is_empty());
    let mut after_we = 0;
    words
        .next()
        .is_some_and(|first| matches!(first, "we" | "were" | "weve"))
        && words.all(|w| {
            after_we += 1;
            !WANTING_WORDS.contains(&w)
        })
        && after_we >= 3
}

/// Builds the rule automata now rather than on the first posting, whose
/// latency they would add.
pub fn prepare() {
    let _ = first_rule_matching(" requirements ");
    let _ = intro_kind("we are looking for", None);
    let _ = is_footer_or_terms("");
    let _ = has_cue(Cues::EqualOpportunity, "");
}

/// "Tech stack", "Technologies we use": the one heading rule of kind `other`.
pub fn is_tech_stack(heading: &str) -> bool {
    first_rule_matching(&normalize(heading)) == Some(Other)
}

/// All phrases of all rules in one automaton, each tagged with its rule's
/// position: one pass over the heading instead of a search per phrase.
struct RuleMatcher {
    automaton: Phrases,
    rule_of_pattern: Vec<usize>,
}

fn matcher() -> Option<&'static RuleMatcher> {
    static MATCHER: OnceLock<Option<RuleMatcher>> = OnceLock::new();
    MATCHER
        .get_or_init(|| {
            let mut phrases = Vec::new();
            let mut rule_of_pattern = Vec::new();
            for (rule, (_, list)) in HEADING_RULES.iter().enumerate() {
                for p in *list {
                    phrases.push(*p);
                    rule_of_pattern.push(rule);
                }
            }
            // Building can only fail on absurd pattern sizes; then the slow
            // rule-by-rule path answers instead.
            Phrases::new(&phrases).ok().map(|automaton| RuleMatcher {
                automaton,
                rule_of_pattern,
            })
        })
        .as_ref()
}

/// The kind of the earliest rule (in table order) with a phrase at a word
/// start of `norm`: the same answer as trying the rules one by one.
fn first_rule_matching(norm: &str) -> Option<SectionKind> {
    let Some(m) = matcher() else {
        return HEADING_RULES
            .iter()
            .find(|(_, phrases)| phrases.iter().any(|p| contains_phrase(norm, p)))
            .map(|(k, _)| *k);
    };
    m.automaton
        .occurrences(norm.as_bytes())
        .filter(|hit| hit.start > 0 && norm.as_bytes().get(hit.start - 1) == Some(&b' '))
        .filter_map(|hit| m.rule_of_pattern.get(hit.phrase).copied())
        .min()
        .and_then(|rule| HEADING_RULES.get(rule).map(|(kind, _)| *kind))
}

/// The first rule matching part of a normalized heading (`words`, trimmed).
fn rule_for_words(words: &str) -> Option<SectionKind> {
    first_rule_matching(&format!(" {words} "))
}

/// A kind from the body alone, for sections whose heading says little
/// (`default` is what the heading leans to; `company` normalized).
pub fn classify_body(
    section: &Section,
    default: SectionKind,
    company: Option<&str>,
) -> Option<SectionKind> {
    let text = section.text.as_str();
    if is_equal_opportunity_text(text) {
        return Some(EqualOpportunity);
    }
    if section.heading.is_none() && section.items.is_empty() {
        return intro_kind(text, company);
    }
    // A bare "Overview" over a paragraph about the company, not the role
    // ("Job Description" or "Summary" over the same paragraph still
    // introduces the role).
    if default == Role
        && section.items.is_empty()
        && section
            .heading
            .as_deref()
            .is_some_and(|h| normalize(h).trim() == "overview")
        && intro_kind(text, company) == Some(AboutCompany)
    {
        return Some(AboutCompany);
    }
    // "Additional Information" opening with the pay: compensation.
    if default == Other && opens_with_pay(text) {
        return Some(Compensation);
    }
    // A list refines only a heading that leans nowhere in particular.
    if !matches!(default, Role | Other) {
        return None;
    }
    let share = |f: &dyn Fn(&str) -> bool| section.items.iter().filter(|i| f(i)).count() * 2;
    if section.items.len() >= 2
        && (share(&|i| i.contains("http") || i.contains("www.")) >= section.items.len()
            || share(&|i| i.trim_end().ends_with('?')) >= section.items.len())
    {
        // Links or questions to the applicant: not duties.
        return Some(Other);
    }
    if section.items.len() >= 2 {
        let requirement_like = section
            .items
            .iter()
            .filter(|i| has_cue(Cues::Requirement, i))
            .count();
        if requirement_like * 2 >= section.items.len() {
            return Some(Requirements);
        }
        return Some(Responsibilities);
    }
    // A heading in the company's voice that neither a rule nor the body
    // placed ("We roll up our sleeves and get stuff done"), over text that
    // asks nothing of the candidate (the requirement stages do not read
    // the company's sections).
    if default == Other
        && section
            .heading
            .as_deref()
            .is_some_and(|h| speaks_as_the_company(normalize(h).trim()))
        && !has_cue(Cues::Requirement, text)
    {
        return Some(AboutCompany);
    }
    None
}

/// Whether `text` opens with pay: an amount after a currency sign early in
/// its first line (a paragraph is one line), with a pay word just before
/// it ("Minimum salary of $111,000 + bonus", "Compensation: $55,800/Yr.").
fn opens_with_pay(text: &str) -> bool {
    /// How far into the first line the amount may stand.
    const OPENING: usize = 200;
    /// How far before the amount the pay word may stand.
    const BEFORE: usize = 60;
    let Some(first) = text.lines().find(|l| !l.trim().is_empty()) else {
        return false;
    };
    let opening = &first[..first.floor_char_boundary(OPENING)];
    // The amounts first: most openings have no currency sign, and the pay
    // words need a lower-cased copy.
    opening
        .char_indices()
        .filter(|(_, c)| matches!(c, '$' | '€' | '£'))
        .filter(|(at, c)| {
            first[at + c.len_utf8()..]
                .trim_start()
                .starts_with(|d: char| d.is_ascii_digit())
        })
        .any(|(at, _)| {
            let before =
                first[first.floor_char_boundary(at.saturating_sub(BEFORE))..at].to_lowercase();
            PAY_WORDS.iter().any(|w| before.contains(w))
        })
}

/// Untitled text before the first heading: a block of labels ("Location:
/// Austin"), the company introducing itself, or the role.
fn intro_kind(text: &str, company: Option<&str>) -> Option<SectionKind> {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let labels = lines.iter().filter(|l| is_label_value(l.trim())).count();
    if labels >= 2 && labels * 2 >= lines.len() {
        return Some(Other);
    }
    let norm = normalize(text);
    // Cues are written padded with spaces: whole words in `norm`; one set
    // holds both lists (role cues first). Every occurrence counts,
    // overlapping ones too (" join our team ").
    static CUES: OnceLock<Option<Phrases>> = OnceLock::new();
    let cues = CUES.get_or_init(|| {
        let all: Vec<&str> = ROLE_INTRO_CUES
            .iter()
            .chain(&COMPANY_INTRO_CUES)
            .copied()
            .collect();
        Phrases::new(&all).ok()
    });
    let (mut role, mut about) = (0, 0);
    let cues = cues.as_ref().filter(|c| c.occurs_in(norm.as_bytes()));
    for m in cues.iter().flat_map(|c| c.occurrences(norm.as_bytes())) {
        if m.phrase < ROLE_INTRO_CUES.len() {
            role += 1;
        } else {
            about += 1;
        }
    }
    if let Some(c) = company.filter(|c| !c.trim().is_empty()) {
        about += norm.matches(c).count();
    }
    if role > about {
        Some(Role)
    } else if about > 0 {
        Some(AboutCompany)
    } else {
        None
    }
}

/// "Powered by JazzHR", "Only W2 candidates", "Contract to Hire": an ATS
/// footer or employment terms (whole words, any case).
pub fn is_footer_or_terms(text: &str) -> bool {
    static TERMS: OnceLock<Option<Phrases>> = OnceLock::new();
    let Some(terms) = TERMS
        .get_or_init(|| {
            Phrases::ascii_case_insensitive(&[
                "w2",
                "c2c",
                "1099",
                "corp to corp",
                "corp-to-corp",
                "contract to hire",
                "contract-to-hire",
                "direct hire",
                "direct-hire",
            ])
            .ok()
        })
        .as_ref()
    else {
        return false;
    };
    text.get(..11)
        .is_some_and(|p| p.eq_ignore_ascii_case("powered by "))
        || terms
            .whole_word_occurrences(text.as_bytes())
            .next()
            .is_some()
}

/// Whether a paragraph is an equal-opportunity statement.
pub fn is_equal_opportunity_text(text: &str) -> bool {
    has_cue(Cues::EqualOpportunity, text)
}

/// Body cues, matched anywhere and in any ASCII case.
#[derive(Clone, Copy)]
enum Cues {
    EqualOpportunity,
    Requirement,
}

/// Whether `text` holds one of the cues (lower-case ASCII phrases) in any
/// case: one pass over the text lowered to ASCII lower case.
fn has_cue(cues: Cues, text: &str) -> bool {
    static SETS: OnceLock<Option<[Phrases; 2]>> = OnceLock::new();
    let sets = SETS.get_or_init(|| {
        Some([
            Phrases::new(&EQUAL_OPPORTUNITY_CUES).ok()?,
            Phrases::new(&REQUIREMENT_CUES).ok()?,
        ])
    });
    let phrases: &[&str] = match cues {
        Cues::EqualOpportunity => &EQUAL_OPPORTUNITY_CUES,
        Cues::Requirement => &REQUIREMENT_CUES,
    };
    let lowered = text.to_ascii_lowercase();
    match sets {
        Some(s) => s[cues as usize].occurs_in(lowered.as_bytes()),
        // Built from constants; should that ever fail, the same answer, slower.
        None => phrases.iter().any(|p| lowered.contains(p)),
    }
}

/// Lower case; apostrophes removed; other non-alphanumerics as spaces;
/// padded with a space each side for word-start matching.
pub fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push(' ');
    let mut space = true;
    let mut rest = text;
    while let Some(&b) = rest.as_bytes().first() {
        // Lower-case letters and digits: copied as a run.
        let run = rest
            .bytes()
            .take_while(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            .count();
        if run > 0 {
            out.push_str(rest.get(..run).unwrap_or_default());
            rest = rest.get(run..).unwrap_or_default();
            space = false;
            continue;
        }
        // Other ASCII without a char decode or a lower-casing iterator.
        if b < 0x80 {
            rest = rest.get(1..).unwrap_or_default();
            if b.is_ascii_alphanumeric() {
                out.push(char::from(b.to_ascii_lowercase()));
                space = false;
            } else if b != b'\'' && !space {
                out.push(' ');
                space = true;
            }
            continue;
        }
        let Some(c) = rest.chars().next() else { break };
        rest = rest.get(c.len_utf8()..).unwrap_or_default();
        if c == '’' {
            continue;
        }
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
            space = false;
        } else if !space {
            out.push(' ');
            space = true;
        }
    }
    if !space {
        out.push(' ');
    }
    out
}

/// `phrase` at a word start in `norm` (which starts with a space), one
/// phrase at a time: the reference the rule matcher is tested against, and
/// its fallback.
fn contains_phrase(norm: &str, phrase: &str) -> bool {
    norm.match_indices(phrase)
        .any(|(i, _)| i > 0 && norm.as_bytes().get(i - 1) == Some(&b' '))
}

/// "Location: Austin, TX", "Salary: $50k": a label, a colon, then a value.
pub(super) fn is_label_value(text: &str) -> bool {
    // The first colon counts only within 40 bytes, so a paragraph is not
    // read to its end looking for one.
    let bytes = text.as_bytes();
    let window = bytes.get(..=MAX_LABEL_BYTES).unwrap_or(bytes);
    let first_colon = window.iter().enumerate().position(|(i, &b)| {
        b == b':'
            || (b == 0xEF
                && bytes
                    .get(i..)
                    .is_some_and(|r| r.starts_with("：".as_bytes())))
    });
    first_colon
        .and_then(|pos| text.get(pos..))
        .is_some_and(|rest| !rest.trim_start_matches([':', '：']).trim().is_empty())
}

/// Where a label's colon may be at the latest ("Years of experience:").
const MAX_LABEL_BYTES: usize = 40;

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(h: &str) -> HeadingClass {
        classify_heading(Some(h))
    }

    /// `normalize` as its documentation says, a character at a time.
    fn normalize_by_char(text: &str) -> String {
        let mut out = String::from(" ");
        let mut space = true;
        for c in text.chars() {
            if c == '\'' || c == '’' {
                continue;
            }
            if c.is_alphanumeric() {
                out.extend(c.to_lowercase());
                space = false;
            } else if !space {
                out.push(' ');
                space = true;
            }
        }
        if !space {
            out.push(' ');
        }
        out
    }

    #[test]
    fn normalize_agrees_with_the_character_definition() {
        let pieces = [
            "a",
            "z",
            "q",
            "0",
            "9",
            "Q",
            " ",
            "  ",
            "'",
            "’",
            "é",
            "İ",
            ".",
            "-",
            "\n",
            "ab cd ef",
            "we are looking for",
            "A",
        ];
        let mut rng = crate::test_random::Lcg::new(7);
        for _ in 0..50_000 {
            let mut text = String::new();
            let seed = rng.next_u64();
            for k in 0..(seed >> 59) {
                let pick = (seed >> (2 * k % 48)) as usize ^ (k as usize * 31);
                text.push_str(pieces[pick % pieces.len()]);
            }
            assert_eq!(normalize(&text), normalize_by_char(&text), "{text:?}");
        }
    }

    #[test]
    fn intro_cues_count_overlapping_occurrences() {
        // " join our " and " our team " share " our "; two " startup "s a space.
        assert_eq!(intro_kind("Join our team today", None), Some(AboutCompany));
        assert_eq!(
            intro_kind("You will join our startup startup", None),
            Some(AboutCompany)
        );
        assert_eq!(intro_kind("You will join our startup", None), Some(Role));
    }

    #[test]
    fn cues_match_in_any_ascii_case() {
        for text in [
            "Acme is an EQUAL Opportunity employer",
            "We use E-Verify.",
            "EOE",
            "hired without regard to race or religion",
            "no cue here, only équal opportunité",
        ] {
            let reference = EQUAL_OPPORTUNITY_CUES
                .iter()
                .any(|c| text.to_ascii_lowercase().contains(c));
            assert_eq!(is_equal_opportunity_text(text), reference, "{text:?}");
        }
        assert!(is_equal_opportunity_text("EQUAL EMPLOYMENT OPPORTUNITY"));
        assert!(!is_equal_opportunity_text("Equal pay"));
    }

    #[test]
    fn automaton_agrees_with_rule_by_rule_matching() {
        let headings = [
            "What you'll do",
            "Perks & Benefits",
            "Preferred Qualifications",
            "About the role",
            "Minimum qualifications",
            "Compensation and bonus",
            "How to apply",
            "Zebra",
            "EEO statement",
            "What you will need",
            "Our culture",
            "Job requirements",
        ];
        for h in headings {
            let norm = normalize(h);
            let slow = HEADING_RULES
                .iter()
                .find(|(_, phrases)| phrases.iter().any(|p| contains_phrase(&norm, p)))
                .map(|(k, _)| *k);
            assert_eq!(first_rule_matching(&norm), slow, "{h}");
        }
    }

    #[test]
    fn phrasings() {
        for (h, k) in [
            // Vietnamese (TopCV postings in corpus/more).
            ("Mô tả công việc", Responsibilities),
            ("Yêu cầu ứng viên", Requirements),
            ("Quyền lợi được hưởng", Benefits),
            ("What you'll do", Responsibilities),
            ("Your impact", Responsibilities),
            ("Key duties", Responsibilities),
            ("Who you are", Requirements),
            ("What we're looking for", Requirements),
            ("Minimum qualifications", Requirements),
            ("Preferred Qualifications", Preferred),
            ("Bonus points", Preferred),
            ("Nice to have", Preferred),
            ("Perks", Benefits),
            ("Why join us", Benefits),
            ("Pay range", Compensation),
            ("EEO statement", EqualOpportunity),
            ("How to apply", Application),
            ("About Acme Corp", AboutCompany),
            ("About the role", Role),
            ("The Role", Role),
            ("Ihre Aufgaben", Responsibilities),
            ("Ihr Profil", Requirements),
            ("Wir bieten", Benefits),
        ] {
            assert_eq!(kind(h), HeadingClass::Kind(k), "{h}");
        }
        assert_eq!(kind("Job Description"), HeadingClass::Generic(Role));
        assert_eq!(kind("Zebra crossing"), HeadingClass::Generic(Other));
    }

    #[test]
    fn phrasings_of_issue_25() {
        for (h, k) in [
            ("The Pre-Requisites", Requirements),
            ("Hogan Requires", Requirements),
            ("We’d love you to bring", Requirements),
            ("What To Expect", Role),
            ("What to expect from us", Benefits),
            ("What to expect next", Application),
            ("What You’ll Gain", Benefits),
            ("How Will YOU Make an Impact?", Responsibilities),
            ("Technical Project Management As Required", Responsibilities),
            ("Licenses/Certifications as Required", Requirements),
            ("What to Expect in the Interview", Application),
            ("Requirements", Requirements),
        ] {
            assert_eq!(kind(h), HeadingClass::Kind(k), "{h}");
        }
        // A pitch to make an impact is not a list of duties.
        assert_eq!(
            kind("Ready to Make an Impact?"),
            HeadingClass::Generic(Other)
        );
        // The company's own "experience" is what working there is like,
        // unless the heading asks for it.
        let company = normalize("Trella Health");
        let with_company = |h| classify_heading_for(Some(h), Some(&company));
        assert_eq!(
            with_company("The Trella Health Experience"),
            HeadingClass::Kind(Benefits)
        );
        assert_eq!(
            with_company("Required Trella Health Experience"),
            HeadingClass::Kind(Requirements)
        );
        assert_eq!(with_company("Experience"), HeadingClass::Kind(Requirements));
    }

    fn section(heading: &str, text: &str, items: &[&str]) -> Section {
        Section {
            kind: Other,
            heading: Some(heading.to_string()),
            text: text.to_string(),
            items: items.iter().map(|i| i.to_string()).collect(),
        }
    }

    #[test]
    fn a_section_that_opens_with_pay_under_a_heading_that_says_little_is_compensation() {
        let pay = section(
            "Additional Information",
            "(Colorado only*) Minimum salary of $111,000 + bonus + equity + benefits.",
            &[],
        );
        assert_eq!(classify_body(&pay, Other, None), Some(Compensation));
        // A currency sign without a pay word, or a pay word without an
        // amount, is not enough.
        let fee = section("Notes", "A $50 fee applies to late forms.", &[]);
        assert_eq!(classify_body(&fee, Other, None), None);
        let vague = section("Notes", "Competitive salary and benefits.", &[]);
        assert_eq!(classify_body(&vague, Other, None), None);
        // Only the opening counts: a role text that ends with its pay
        // stays the role's, on a line of its own or in the same paragraph.
        let role = section(
            "Additional Information",
            "You will build data pipelines.\nSalary: $90,000",
            &[],
        );
        assert_eq!(classify_body(&role, Other, None), None);
        let paragraph = format!(
            "We raised $50M last year. {} We offer a competitive salary.",
            "You will build and run the data pipelines of our product. ".repeat(4)
        );
        let pitch = section("Additional Information", &paragraph, &[]);
        assert_eq!(classify_body(&pitch, Other, None), None);
    }

    #[test]
    fn a_bare_overview_of_the_company_is_about_the_company() {
        let text = "Acme is a leading global provider of consulting services. Our team \
                    and our culture are what make us who we are. Join our team.";
        let overview = section("Overview", text, &[]);
        assert_eq!(classify_body(&overview, Role, None), Some(AboutCompany));
        // The same paragraph under "Job Description" still introduces the role.
        let described = section("Job Description", text, &[]);
        assert_eq!(classify_body(&described, Role, None), None);
    }

    #[test]
    fn phrasings_of_the_second_held_back_set() {
        for (h, k) in [
            ("About The Roles", Role),
            ("About these positions", Role),
            ("About Career Opportunities at Acme", AboutCompany),
            ("About Acme", AboutCompany),
            ("Working Conditions", Other),
            ("Work Environment", Other),
            ("What We’ll Bring", Benefits),
            ("Here's What We'll Bring To The Table", Benefits),
            ("What You’ll Bring", Requirements),
            ("Investors and Funding", AboutCompany),
        ] {
            assert_eq!(kind(h), HeadingClass::Kind(k), "{h}");
        }
    }

    #[test]
    fn a_heading_in_the_company_s_voice_is_about_the_company_when_nothing_else_places_it() {
        let paragraph = section(
            "We roll up our sleeves and get stuff done",
            "Nobody here waits to be asked; the work gets done together.",
            &[],
        );
        assert_eq!(classify_body(&paragraph, Other, None), Some(AboutCompany));
        // A list under such a heading is still read by its items.
        let duties = section(
            "We will be putting a high emphasis on",
            "",
            &["Designing data pipelines", "Reviewing code", "Mentoring"],
        );
        assert_eq!(classify_body(&duties, Other, None), Some(Responsibilities));
        // Short headings are not sentences.
        let short = section("We Deliver", "Fast.", &[]);
        assert_eq!(classify_body(&short, Other, None), None);
        // Whom the company wants, or a body that asks for something, is
        // not the company speaking of itself.
        for (heading, text) in [
            ("We're hiring a Senior Data Engineer", "Join a small team."),
            (
                "We need someone who can",
                "Own the data platform end to end.",
            ),
            ("We hope you are excited", "Apply today."),
            (
                "We work hard and play hard",
                "3+ years of experience with Python is a must.",
            ),
        ] {
            let s = section(heading, text, &[]);
            assert_eq!(classify_body(&s, Other, None), None, "{heading}");
        }
    }
}

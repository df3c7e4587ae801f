//! The rule table that gives a section its kind: phrasings of headings, in
//! English and in the other languages of the corpus, and body cues for
//! headings that say little ("Job Description", untitled text).
//!
//! Matching is on normalized text: lower case, apostrophes removed, other
//! punctuation as spaces. A phrase matches at a word start, so "benefit"
//! matches "Benefits" and "responsibilit" matches "Responsibilities".
//! Rules are tried in order; the first match wins, so specific phrasings
//! come before general ones ("preferred qualifications" before
//! "qualifications").

use super::sections::{Section, SectionKind};

/// What a heading says about its section.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeadingClass {
    Kind(SectionKind),
    /// A heading (or none) that names no kind: decide from the body, and
    /// fall back to this kind.
    Generic(SectionKind),
}

use SectionKind::*;

/// Headings that say little: the body decides, else the kind given.
const GENERIC_HEADINGS: &[(&str, SectionKind)] = &[
    ("job description", Role),
    ("description", Role),
    ("job details", Role),
    ("details", Role),
    ("overview", Role),
    ("job overview", Role),
    ("summary", Role),
    ("additional information", Other),
    ("additional info", Other),
    ("additional details", Other),
    ("other information", Other),
    ("other", Other),
    ("note", Other),
    ("notes", Other),
    ("misc", Other),
];

/// Heading phrasings, tried in order.
const HEADING_RULES: &[(SectionKind, &[&str])] = &[
    (
        EqualOpportunity,
        &[
            "equal opportunity",
            "equal employment",
            "eeo",
            "eoe",
            "affirmative action",
            "non discrimination",
            "nondiscrimination",
            "diversity",
            "inclusion",
            "e verify",
            "everify",
            "reasonable accommodation",
            "accommodation",
            "pay transparency",
            "chancengleichheit",
        ],
    ),
    (
        Application,
        &[
            "how to apply",
            "to apply",
            "apply now",
            "apply",
            "application process",
            "application",
            "next steps",
            "hiring process",
            "interview process",
            "recruitment process",
            "our process",
            "contact",
            "bewerbung",
            "candidature",
        ],
    ),
    (
        Preferred,
        &[
            "preferred",
            "nice to have",
            "nice to haves",
            "nice if you have",
            "bonus point",
            "bonus skill",
            "bonus qualification",
            "extra credit",
            "pluses",
            "plus",
            "desired",
            "desirable",
            "good to have",
            "would be great",
            "ideally",
            "additional qualifications",
            "additional skills",
            "wünschenswert",
            "von vorteil",
            "souhaité",
        ],
    ),
    (
        Compensation,
        &[
            "salary",
            "compensation",
            "pay range",
            "pay rate",
            "base pay",
            "pay",
            "wage",
            "hourly rate",
            "rate of pay",
            "remuneration",
            "gehalt",
            "vergütung",
            "rémunération",
            "salario",
        ],
    ),
    (
        Benefits,
        &[
            "benefit",
            "perks",
            "perk",
            "what we offer",
            "we offer",
            "what you get",
            "what youll get",
            "what you will get",
            "what we can offer",
            "whats in it for you",
            "what is in it for you",
            "in it for you",
            "why join",
            "why work",
            "why you ll love",
            "why youll love",
            "why us",
            "why choose",
            "why should you",
            "our offer",
            "rewards",
            "total rewards",
            "package",
            "wir bieten",
            "was wir bieten",
            "unser angebot",
            "vorteile",
            "avantages",
            "beneficios",
            "ofrecemos",
            "we provide",
            "life at",
            "working at",
            "working here",
            "physical demands",
        ],
    ),
    (
        Responsibilities,
        &[
            "responsibilit",
            "what you ll do",
            "what youll do",
            "what you will do",
            "what you will be doing",
            "what youll be doing",
            "what you ll be doing",
            "what you do",
            "what will you do",
            "you will",
            "youll",
            "your impact",
            "the impact",
            "impact you",
            "duties",
            "key duties",
            "essential functions",
            "essential duties",
            "job functions",
            "primary functions",
            "day to day",
            "day in the life",
            "a typical day",
            "tasks",
            "your tasks",
            "accountabilit",
            "your mission",
            "the mission",
            "what the job involves",
            "in this role",
            "role responsibilities",
            "scope",
            "key activities",
            "deliverables",
            "objectives",
            "aufgaben",
            "ihre aufgaben",
            "deine aufgaben",
            "missions",
            "responsabilit",
            "funciones",
            "mansioni",
            "taken",
        ],
    ),
    (
        Requirements,
        &[
            "requirement",
            "required",
            "qualification",
            "must have",
            "must haves",
            "minimum",
            "basic qualifications",
            "who you are",
            "who are you",
            "about you",
            "what you bring",
            "what you ll bring",
            "what youll bring",
            "you bring",
            "what we re looking for",
            "what were looking for",
            "what we are looking for",
            "we are looking for",
            "were looking for",
            "looking for",
            "what you need",
            "what you ll need",
            "what youll need",
            "you ll need",
            "youll need",
            "you have",
            "you should have",
            "ideal candidate",
            "the candidate",
            "candidate profile",
            "your profile",
            "profile",
            "skills",
            "skill set",
            "skillset",
            "experience",
            "education",
            "competenc",
            "knowledge",
            "abilities",
            "background",
            "to succeed",
            "to be successful",
            "what it takes",
            "expertise",
            "certification",
            "eligibility",
            "prerequisit",
            "anforderungen",
            "dein profil",
            "ihr profil",
            "qualifikation",
            "requisitos",
            "profil recherché",
            "votre profil",
            "vereisten",
            "requisiti",
            "experts in",
            "looking for experts",
        ],
    ),
    (
        AboutCompany,
        &[
            "about us",
            "about the company",
            "about our company",
            "company overview",
            "company description",
            "company profile",
            "who we are",
            "our company",
            "our story",
            "our mission",
            "our vision",
            "our values",
            "our culture",
            "culture",
            "the company",
            "company",
            "about the team",
            "the team",
            "our team",
            "meet the team",
            "über uns",
            "uber uns",
            "wer wir sind",
            "qui sommes nous",
            "sobre nosotros",
            "over ons",
        ],
    ),
    (
        Role,
        &[
            "the role",
            "role",
            "about the role",
            "about the job",
            "about the position",
            "about this role",
            "about this job",
            "about this position",
            "the position",
            "position",
            "the opportunity",
            "opportunity",
            "the job",
            "job summary",
            "position summary",
            "role summary",
            "job purpose",
            "purpose",
            "job title",
            "introduction",
            "intro",
            "who we re looking for",
            "what we do",
            "your role",
            "the challenge",
            "stellenbeschreibung",
            "ihre rolle",
            "deine rolle",
            "le poste",
            "descripción",
            "el puesto",
        ],
    ),
];

/// The class of a heading; `None` (untitled text) is generic.
pub fn classify_heading(heading: Option<&str>) -> HeadingClass {
    let Some(heading) = heading else {
        return HeadingClass::Generic(Other);
    };
    let norm = normalize(heading);
    let trimmed = norm.trim();
    if let Some(&(_, kind)) = GENERIC_HEADINGS.iter().find(|(h, _)| *h == trimmed) {
        return HeadingClass::Generic(kind);
    }
    // "About Acme": about the company, unless it is about the role or you.
    if let Some(rest) = trimmed.strip_prefix("about ") {
        let rest = rest.trim_start_matches("the ").trim_start_matches("this ");
        let about_role = ["role", "job", "position", "opportunity", "you"]
            .iter()
            .any(|w| rest == *w || rest.starts_with(&format!("{w} ")));
        if !about_role {
            return HeadingClass::Kind(AboutCompany);
        }
    }
    for (kind, phrases) in HEADING_RULES {
        if phrases.iter().any(|p| contains_phrase(&norm, p)) {
            return HeadingClass::Kind(*kind);
        }
    }
    HeadingClass::Generic(Other)
}

/// A kind from the body alone, for sections whose heading says little.
pub fn classify_body(section: &Section) -> Option<SectionKind> {
    let text = section.text.to_lowercase();
    if is_equal_opportunity_text(&text) {
        return Some(EqualOpportunity);
    }
    const COMPANY_CUES: [&str; 6] = [
        "we are a",
        "founded in",
        "our mission",
        "is a leading",
        "is a global",
        "headquartered",
    ];
    if section.heading.is_none()
        && COMPANY_CUES.iter().any(|c| text.contains(c))
        && section.items.is_empty()
    {
        return Some(AboutCompany);
    }
    if section.items.len() >= 2 {
        let requirement_like = section
            .items
            .iter()
            .filter(|i| {
                let i = i.to_lowercase();
                i.contains("experience")
                    || i.contains("degree")
                    || i.contains("knowledge of")
                    || i.contains("ability to")
                    || i.contains("proficien")
            })
            .count();
        if requirement_like * 2 >= section.items.len() {
            return Some(Requirements);
        }
        return Some(Responsibilities);
    }
    None
}

/// Whether a paragraph is an equal-opportunity statement.
pub fn is_equal_opportunity_text(text: &str) -> bool {
    const CUES: [&str; 7] = [
        "equal opportunity",
        "equal employment opportunity",
        "without regard to race",
        "regardless of race",
        "affirmative action employer",
        "eoe",
        "e-verify",
    ];
    let lower = text.to_lowercase();
    CUES.iter().any(|c| lower.contains(c))
}

/// Lower case; apostrophes removed; other non-alphanumerics as spaces;
/// padded with a space each side for word-start matching.
pub fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push(' ');
    for c in text.chars() {
        if c == '\'' || c == '’' {
            continue;
        }
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
        } else if !out.ends_with(' ') {
            out.push(' ');
        }
    }
    if !out.ends_with(' ') {
        out.push(' ');
    }
    out
}

fn contains_phrase(norm: &str, phrase: &str) -> bool {
    let mut needle = String::with_capacity(phrase.len() + 1);
    needle.push(' ');
    needle.push_str(phrase);
    norm.contains(&needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(h: &str) -> HeadingClass {
        classify_heading(Some(h))
    }

    #[test]
    fn phrasings() {
        for (h, k) in [
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
}

//! The language stage: the ISO 639-1 code of the description's language,
//! by the `whichlang` detector (a linear model over character n-grams of
//! 16 languages: Arabic, Chinese, Dutch, English, French, German, Hindi,
//! Italian, Japanese, Korean, Portuguese, Russian, Spanish, Swedish,
//! Turkish, Vietnamese). `whatlang` knows 69 languages but cost several
//! times the whole pipeline per posting; the measurements and the choice
//! are in docs/decisions.md.
//!
//! Most postings are English: a start without non-ASCII letters that holds
//! three different words of English's commonest (" the ", " and ",
//! " with ", ...; " of " is also Dutch and " will " German, so one or two
//! are not enough) is English without asking the detector, which costs far
//! more per posting (measured in docs/performance.md; agreement with the
//! detector in docs/decisions.md). The first `sample_bytes` are searched
//! first, then, when they do not tell (a posting that opens with a list of
//! places or skills), the first `english_words_bytes`.
//!
//! The detector reads the first `sample_bytes` of the text: a posting's
//! opening paragraphs are in its language, and the cost stays flat on long
//! descriptions. A text shorter than `min_words` words ("Please visit the
//! link for the full description") gives nothing. A text in a language
//! outside the 16 is reported as the closest of them.

use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

use super::phrases::Phrases;
use super::stage::{StageOutcome, Staged};

/// `[enrich.language]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LanguageOptions {
    /// Fewest words a description needs for its language to be told (in
    /// text without spaces, such as Japanese, two characters count as a
    /// word).
    pub min_words: usize,
    /// How much of the text the detector reads, in bytes.
    pub sample_bytes: usize,
    /// How much of the text is searched for common English words before
    /// the detector is asked, in bytes: postings that open with a list of
    /// places or skills are told English by their first sentences.
    pub english_words_bytes: usize,
}

impl Default for LanguageOptions {
    fn default() -> Self {
        LanguageOptions {
            min_words: 20,
            sample_bytes: 200,
            english_words_bytes: 1000,
        }
    }
}

/// The language stage. Ok with a code; absent when the text is too short
/// or its sample has no letters.
// Not inlined: scripts/bench-instructions counts this stage by its name.
#[inline(never)]
pub fn run(text: &str, opts: &LanguageOptions) -> Staged<Option<&'static str>> {
    let sample = prefix(text, opts.sample_bytes);
    let has_letters = sample.chars().any(char::is_alphabetic);
    let code = (has_letters && has_words(text, opts.min_words)).then(|| {
        // The short sample first: most postings are told by it.
        if is_plainly_english(sample)
            || (opts.english_words_bytes > sample.len()
                && is_plainly_english(prefix(text, opts.english_words_bytes)))
        {
            "en"
        } else {
            iso_639_1(whichlang::detect_language(sample))
        }
    });
    let outcome = if code.is_some() {
        StageOutcome::Ok
    } else {
        StageOutcome::Absent
    };
    Staged::new(code, outcome)
}

/// Common English words, with their spaces (see the module's note on
/// " of " and " will ").
static ENGLISH_WORDS: LazyLock<Phrases> = LazyLock::new(|| {
    Phrases::new(&[
        " the ", " and ", " to ", " of ", " with ", " for ", " you ", " our ", " will ", " are ",
        " your ", " this ", " that ",
    ])
    .expect("English words")
});

/// How many different common English words make a sample English.
const ENGLISH_WORDS_NEEDED: u32 = 3;

/// Whether `start` has no letters outside ASCII and at least
/// [`ENGLISH_WORDS_NEEDED`] different common English words.
fn is_plainly_english(start: &str) -> bool {
    if !start.is_ascii() && start.chars().any(|c| !c.is_ascii() && c.is_alphabetic()) {
        return false;
    }
    let mut seen = 0u32;
    ENGLISH_WORDS.occurrences(start.as_bytes()).any(|m| {
        seen |= 1 << m.phrase;
        seen.count_ones() >= ENGLISH_WORDS_NEEDED
    })
}

/// Compiles the English word set now rather than on the first posting.
pub(crate) fn prepare() {
    LazyLock::force(&ENGLISH_WORDS);
}

/// The first `n` bytes of `text`, to a character boundary.
fn prefix(text: &str, n: usize) -> &str {
    let mut end = n.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// Whether `text` has at least `fewest` words: space-separated ones, and
/// in scripts written without spaces (Chinese, Japanese, Thai), half a
/// word per character.
fn has_words(text: &str, fewest: usize) -> bool {
    let mut words = 0.0;
    for token in text.split_whitespace() {
        let unspaced = token.chars().filter(|c| is_unspaced_script(*c)).count();
        words += if unspaced > 0 {
            unspaced as f64 / 2.0
        } else {
            1.0
        };
        if words >= fewest as f64 {
            return true;
        }
    }
    fewest == 0
}

fn is_unspaced_script(c: char) -> bool {
    matches!(c,
        '\u{3040}'..='\u{30FF}' // Hiragana, Katakana
        | '\u{3400}'..='\u{9FFF}' // CJK ideographs
        | '\u{0E00}'..='\u{0E7F}' // Thai
        | '\u{1780}'..='\u{17FF}' // Khmer
        | '\u{1000}'..='\u{109F}' // Myanmar
    )
}

/// ISO 639-1 for the detector's languages.
fn iso_639_1(lang: whichlang::Lang) -> &'static str {
    use whichlang::Lang::*;
    match lang {
        Ara => "ar",
        Cmn => "zh",
        Deu => "de",
        Eng => "en",
        Fra => "fr",
        Hin => "hi",
        Ita => "it",
        Jpn => "ja",
        Kor => "ko",
        Nld => "nl",
        Por => "pt",
        Rus => "ru",
        Spa => "es",
        Swe => "sv",
        Tur => "tr",
        Vie => "vi",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn detect(text: &str) -> Option<&'static str> {
        run(text, &LanguageOptions::default()).value
    }

    #[test]
    fn descriptions_are_told_apart() {
        assert_eq!(
            detect(
                "We are looking for a software engineer to join our team. You will design, \
                 build and run the services that our customers rely on every day."
            ),
            Some("en")
        );
        assert_eq!(
            detect(
                "Wir suchen eine Softwareentwicklerin für unser Team in Berlin. Du entwirfst, \
                 baust und betreibst die Dienste, auf die sich unsere Kunden jeden Tag verlassen."
            ),
            Some("de")
        );
        assert_eq!(
            detect(
                "自社サービスの基盤システムのインフラ構築と運用を担当していただきます。\
                 未経験者も歓迎します。リモートワーク可能です。"
            ),
            Some("ja")
        );
    }

    #[test]
    fn a_short_text_gives_nothing() {
        let s = run(
            "Please visit the link for full Job Description.",
            &LanguageOptions::default(),
        );
        assert_eq!(s.value, None);
        assert_eq!(s.outcome, StageOutcome::Absent);
        assert_eq!(detect(""), None);
    }

    #[test]
    fn plain_english_is_told_without_the_detector_and_nothing_else_is() {
        assert!(is_plainly_english(
            "• We are looking for an engineer to join the team and build with us"
        ));
        assert!(!is_plainly_english(
            "• Python, Java, Go\n• Kubernetes and AWS"
        ));
        assert!(!is_plainly_english(
            "Wir suchen für das Team in Berlin eine Entwicklerin mit Erfahrung"
        ));
        assert!(!is_plainly_english(
            "Nous cherchons pour notre équipe the best engineer and more"
        ));
    }

    #[test]
    fn vietnamese_is_told() {
        assert_eq!(
            detect(
                "Chúng tôi đang tìm kiếm kỹ sư phần mềm có kinh nghiệm làm việc với Java và \
                 Python trên 3 năm, tham gia phát triển các sản phẩm của công ty."
            ),
            Some("vi")
        );
    }
}

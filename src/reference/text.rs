//! Name normalization for matching free text against reference names:
//! "São Paulo", "sao paulo" and "SAO-PAULO" compare equal.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Lower case, diacritics removed, runs of anything but letters and digits
/// as one space, trimmed.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    fold_into(text, &mut out);
    out
}

/// [`fold`] into a reused buffer (cleared first): no allocation once the
/// buffer is large enough, for matching many candidates.
pub fn fold_into(text: &str, out: &mut String) {
    out.clear();
    let mut pending_space = false;
    // Most names are ASCII: no decomposition needed.
    if text.is_ascii() {
        for b in text.bytes() {
            if b.is_ascii_alphanumeric() {
                if pending_space && !out.is_empty() {
                    out.push(' ');
                }
                pending_space = false;
                out.push(char::from(b.to_ascii_lowercase()));
            } else if b != b'.' && b != b'\'' {
                pending_space = true;
            }
        }
        return;
    }
    for c in text.nfd() {
        if is_combining_mark(c) {
            continue;
        }
        if c.is_alphanumeric() {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            out.extend(c.to_lowercase());
        } else if c != '.' && c != '\'' && c != '’' {
            pending_space = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{fold, fold_into};

    #[test]
    fn folds_case_accents_and_punctuation() {
        assert_eq!(fold("São Paulo"), "sao paulo");
        assert_eq!(fold("  SAO-PAULO "), "sao paulo");
        assert_eq!(fold("U.S.A."), "usa");
        assert_eq!(fold("St. John's"), "st johns");
        assert_eq!(fold("Mahārāshtra"), "maharashtra");
        let mut buf = String::from("left over");
        fold_into("Zürich", &mut buf);
        assert_eq!(buf, "zurich");
    }
}

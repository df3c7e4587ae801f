//! The words of a title, for the stages that read cues in it (employment's
//! "Intern", seniority's "Senior").

/// Calls `read` with the words of `title` in lower case, split at every
/// character that is not a letter or digit ("Sr. Data-Engineer" → "sr",
/// "data", "engineer").
pub fn with_lowercase_words<R>(title: &str, read: impl FnOnce(&[&str]) -> R) -> R {
    let lower = title.to_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    read(&words)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_lowered_and_split_at_punctuation() {
        let words = with_lowercase_words("Sr. Data-Engineer (Remote)", |w| {
            w.iter().map(|s| s.to_string()).collect::<Vec<_>>()
        });
        assert_eq!(words, ["sr", "data", "engineer", "remote"]);
    }
}

//! The one error of the reference data: it could not be loaded.

/// Reference data that could not be loaded (a build defect, never input).
#[derive(Debug, thiserror::Error)]
#[error("reference data {what}: {detail}")]
pub struct DataError {
    pub what: &'static str,
    pub detail: String,
}

impl DataError {
    pub(crate) fn new(what: &'static str, detail: impl ToString) -> Self {
        DataError {
            what,
            detail: detail.to_string(),
        }
    }
}

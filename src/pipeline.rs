//! The whole core as one pure function: raw event bytes in, an enriched
//! record (or a typed rejection) out. Both the offline `enrich` command and
//! the Kafka worker call [`Pipeline::process`], so the same bytes give the
//! same record in both.

use std::sync::{Arc, RwLock};

use crate::enrich::{EnrichOptions, Enricher, Outcomes, ReferenceFiles, WarningCode};
use crate::identity;
use crate::posting::{self, DecodeOptions, Rejection};
use crate::record::{Record, RecordContext};
use crate::reference::DataError;
use crate::reference::versions::ReferenceVersions;

/// What goes into the record besides the enrichment.
#[derive(Debug, Clone, PartialEq)]
pub struct OutputOptions {
    /// Copy the original posting into the record (`posting`); off gives
    /// `"posting": null` for consumers that join on `id` instead.
    pub include_posting: bool,
}

impl Default for OutputOptions {
    fn default() -> Self {
        OutputOptions {
            include_posting: true,
        }
    }
}

/// A successfully enriched event.
#[derive(Debug, Clone)]
pub struct Enriched {
    pub id: String,
    /// The record as one line of JSON, without a newline.
    pub json: Vec<u8>,
    pub outcomes: Outcomes,
    pub warnings: Vec<WarningCode>,
}

/// Decoding, enrichment and encoding, configured once and shared.
#[derive(Debug, Clone)]
pub struct Pipeline {
    decode: DecodeOptions,
    enricher: Enricher,
    output: OutputOptions,
}

impl Pipeline {
    /// With the process-wide reference data (loaded on first use, about 0.3 s).
    pub fn new(
        decode: DecodeOptions,
        enrich: EnrichOptions,
        output: OutputOptions,
    ) -> Result<Self, Arc<DataError>> {
        Ok(Pipeline {
            decode,
            enricher: Enricher::with_shared_data(enrich)?,
            output,
        })
    }

    /// With these reference files' data (as read by a reload).
    pub fn from_files(
        decode: DecodeOptions,
        enrich: EnrichOptions,
        output: OutputOptions,
        files: &ReferenceFiles,
    ) -> Result<Self, Arc<DataError>> {
        Ok(Pipeline {
            decode,
            enricher: Enricher::from_files(enrich, files)?,
            output,
        })
    }

    /// Every setting at its default.
    pub fn with_defaults() -> Result<Self, Arc<DataError>> {
        Pipeline::new(
            DecodeOptions::default(),
            EnrichOptions::default(),
            OutputOptions::default(),
        )
    }

    /// The reference data this pipeline's records are made with.
    pub fn reference(&self) -> &ReferenceVersions {
        self.enricher.reference()
    }

    /// [`Pipeline::process`], for the shells: a panic in it (a bug met on
    /// one record, which every restart would meet again) rejects that
    /// record as `internal_error` instead of ending the run.
    pub fn process_guarded(
        &self,
        bytes: &[u8],
        context: &RecordContext<'_>,
    ) -> Result<Enriched, Rejection> {
        guarded(|| self.process(bytes, context))
    }

    // Not inlined: scripts/bench-instructions counts the pipeline by its name.
    #[inline(never)]
    pub fn process(
        &self,
        bytes: &[u8],
        context: &RecordContext<'_>,
    ) -> Result<Enriched, Rejection> {
        let doc = posting::locate(bytes, &self.decode)?;
        let view = posting::parse(&doc)?;
        let enrichment = self.enricher.enrich(&view);
        let fingerprint = identity::fingerprint(&view);
        let id = identity::id(&view, &fingerprint);
        // Records average ~2.9 times the input (the posting plus its sections).
        let mut json = Vec::with_capacity(bytes.len() * 3 + 4096);
        Record {
            id: &id,
            fingerprint: &fingerprint,
            posting: self.output.include_posting.then_some(view.raw),
            enrichment: &enrichment,
            context,
            reference: self.enricher.reference().json(),
        }
        .write_json(&mut json)
        .map_err(|e| Rejection::new(posting::RejectReason::EncodeFailed, e.to_string()))?;
        Ok(Enriched {
            outcomes: enrichment.outcomes,
            warnings: enrichment.warnings.iter().map(|w| w.code).collect(),
            id,
            json,
        })
    }
}

/// The pipeline in use, replaced whole when reference data is reloaded
/// (`crate::reload`). A batch takes the current one and enriches every
/// record of it with that one: a record is made wholly with the old data or
/// wholly with the new, never a mix.
#[derive(Debug)]
pub struct SharedPipeline {
    current: RwLock<Arc<Pipeline>>,
}

impl SharedPipeline {
    pub fn new(pipeline: Pipeline) -> Self {
        SharedPipeline {
            current: RwLock::new(Arc::new(pipeline)),
        }
    }

    /// The pipeline to use now (held for a batch; a reload does not wait
    /// for it).
    pub fn current(&self) -> Arc<Pipeline> {
        self.current
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Puts `pipeline` in use for every batch from now on.
    pub fn replace(&self, pipeline: Pipeline) {
        *self
            .current
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::new(pipeline);
    }
}

impl From<Pipeline> for SharedPipeline {
    fn from(pipeline: Pipeline) -> Self {
        SharedPipeline::new(pipeline)
    }
}

/// `f`'s result, or an `internal_error` rejection when it panics.
fn guarded<T>(f: impl FnOnce() -> Result<T, Rejection>) -> Result<T, Rejection> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or_else(|_| {
        Err(Rejection::new(
            posting::RejectReason::InternalError,
            "enrichment panicked on this record",
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_rejects_its_record_as_an_internal_error() {
        let result: Result<(), Rejection> = guarded(|| panic!("a bug met on one record"));
        let rejection = result.unwrap_err();
        assert_eq!(rejection.reason, posting::RejectReason::InternalError);
        assert_eq!(guarded(|| Ok::<_, Rejection>(7)).unwrap(), 7);
    }
}

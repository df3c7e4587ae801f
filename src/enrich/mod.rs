//! The enrichers: pure functions from a [`PostingView`] to an
//! [`Enrichment`]. No I/O, no logging, no metrics: outcomes are returned as
//! values and the caller reports them.

pub mod description;
pub mod geo;
mod html_element;
pub mod money_text;
mod name_automaton;
pub mod salary;
pub mod salary_text;
mod section_rules;
pub mod sections;
pub mod skills;
pub mod warning;

use std::sync::Arc;

use serde::Serialize;

use crate::posting::PostingView;
use crate::reference::money::MoneyData;
use crate::reference::{DataError, GeoData};
pub use geo::{Geo, GeoOptions};
pub use salary::{Salary, SalaryOptions};
pub use sections::{Section, SectionKind};
pub use skills::{Skill, Taxonomy};
pub use warning::{Warning, WarningCode};

/// Settings of all enrichers (see `[enrich.*]` in `config/default.toml`).
#[derive(Debug, Clone, PartialEq)]
pub struct EnrichOptions {
    /// Longest description read, in bytes; longer ones are cut with a warning.
    pub description_max_bytes: usize,
    pub salary: SalaryOptions,
    pub geo: GeoOptions,
}

impl Default for EnrichOptions {
    fn default() -> Self {
        EnrichOptions {
            description_max_bytes: 256 * 1024,
            salary: SalaryOptions::default(),
            geo: GeoOptions::default(),
        }
    }
}

/// The description, decoded.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DescriptionOut {
    pub text: String,
    pub sections: Vec<Section>,
}

/// Everything the enrichers add to one posting.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Enrichment {
    pub description: DescriptionOut,
    /// The first located `jobLocation`.
    pub geo: Option<Geo>,
    /// Every located `jobLocation`, in order.
    pub locations: Vec<Geo>,
    pub salary: Option<Salary>,
    /// Skills named in the requirement and preferred sections.
    pub skills: Vec<Skill>,
    pub warnings: Vec<Warning>,
}

/// How one stage went for one posting (a metric label).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StageOutcome {
    /// The stage produced a result.
    Ok,
    /// The posting gave the stage nothing to work from.
    Absent,
    /// The posting had input for the stage, but it could not be used.
    Failed,
}

impl StageOutcome {
    pub const fn as_str(self) -> &'static str {
        match self {
            StageOutcome::Ok => "ok",
            StageOutcome::Absent => "absent",
            StageOutcome::Failed => "failed",
        }
    }
}

/// The enrichment stages, as metric labels.
pub const STAGES: [&str; 4] = ["sections", "skills", "geo", "salary"];

/// Per-stage outcomes of one enrichment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcomes {
    pub sections: StageOutcome,
    /// Ok with at least one skill; absent without description text;
    /// failed when the text named none.
    pub skills: StageOutcome,
    pub geo: StageOutcome,
    pub salary: StageOutcome,
}

impl Outcomes {
    /// Each stage with its label, in `STAGES` order.
    pub fn by_stage(&self) -> [(&'static str, StageOutcome); 4] {
        [
            ("sections", self.sections),
            ("skills", self.skills),
            ("geo", self.geo),
            ("salary", self.salary),
        ]
    }
}

impl Enrichment {
    pub fn outcomes(&self) -> Outcomes {
        let has_warning =
            |codes: &[WarningCode]| self.warnings.iter().any(|w| codes.contains(&w.code));
        let sections = if self
            .description
            .sections
            .iter()
            .any(|s| s.kind != SectionKind::Other)
        {
            StageOutcome::Ok
        } else if self.description.text.is_empty() {
            StageOutcome::Absent
        } else {
            StageOutcome::Failed
        };
        let geo = if self.geo.is_some() {
            StageOutcome::Ok
        } else if has_warning(&[WarningCode::GeoOutOfRange, WarningCode::GeoNullIsland]) {
            StageOutcome::Failed
        } else {
            StageOutcome::Absent
        };
        let salary = if self.salary.is_some() {
            StageOutcome::Ok
        } else if has_warning(&[
            WarningCode::SalaryUnreadable,
            WarningCode::SalaryTextAmbiguous,
        ]) {
            StageOutcome::Failed
        } else {
            StageOutcome::Absent
        };
        let skills = if !self.skills.is_empty() {
            StageOutcome::Ok
        } else if self.description.text.is_empty() {
            StageOutcome::Absent
        } else {
            StageOutcome::Failed
        };
        Outcomes {
            sections,
            skills,
            geo,
            salary,
        }
    }
}

/// Runs every enricher over a posting.
#[derive(Debug, Clone)]
pub struct Enricher {
    opts: EnrichOptions,
    geo: Arc<GeoData>,
    money: Arc<MoneyData>,
}

impl std::fmt::Debug for MoneyData {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MoneyData")
            .field("fx_date", &self.fx.date)
            .finish_non_exhaustive()
    }
}

impl Enricher {
    pub fn new(opts: EnrichOptions, geo: Arc<GeoData>, money: Arc<MoneyData>) -> Self {
        // Built here, not on the first record (whose latency they would add).
        let _ = Taxonomy::shared();
        section_rules::prepare();
        Enricher { opts, geo, money }
    }

    /// With the process-wide geo data (loaded on first use) and the rates
    /// named by the options (embedded by default).
    pub fn with_shared_data(opts: EnrichOptions) -> Result<Self, Arc<DataError>> {
        let money = MoneyData::load(opts.salary.fx_rates_file.as_deref()).map_err(Arc::new)?;
        Ok(Enricher::new(opts, GeoData::shared()?, Arc::new(money)))
    }

    pub fn options(&self) -> &EnrichOptions {
        &self.opts
    }

    pub fn enrich(&self, view: &PostingView<'_>) -> Enrichment {
        let mut warnings = Vec::new();
        let description = self.description(view, &mut warnings);
        let locations = geo::enrich(
            &self.geo,
            &self.opts.geo,
            &view.locations,
            view.date_posted.as_deref(),
            &mut warnings,
        );
        let country = locations
            .first()
            .and_then(|g| g.country.as_ref().map(|c| &*c.alpha2))
            .or_else(|| {
                view.stated_country()
                    .and_then(|c| self.geo.countries.resolve(c))
            });
        let subdivision = locations
            .first()
            .and_then(|g| g.subdivision.as_ref().map(|s| &*s.code));
        let ctx = salary::SalaryContext {
            money: &self.money,
            countries: &self.geo.countries,
            country,
            subdivision,
        };
        let salary = salary::enrich(
            view,
            &description.text,
            &self.opts.salary,
            &ctx,
            &mut warnings,
        );
        let skills = Taxonomy::shared().map_or_else(Vec::new, |t| {
            t.skills(
                &description.sections,
                &description.text,
                view.organization.as_deref(),
            )
        });
        Enrichment {
            description,
            geo: locations.first().cloned(),
            locations,
            salary,
            skills,
            warnings,
        }
    }

    fn description(&self, view: &PostingView<'_>, warnings: &mut Vec<Warning>) -> DescriptionOut {
        let raw = view.description.as_deref().unwrap_or("");
        let decoded = description::decode(raw, self.opts.description_max_bytes);
        if decoded.truncated {
            warnings.push(Warning::new(
                WarningCode::DescriptionTruncated,
                format!(
                    "description of {} bytes cut at {} (enrich.description.max_bytes)",
                    raw.len(),
                    self.opts.description_max_bytes
                ),
            ));
        }
        if decoded.lines.is_empty() {
            warnings.push(Warning::new(
                WarningCode::DescriptionMissing,
                "no description text",
            ));
        }
        DescriptionOut {
            text: decoded.plain_text(),
            sections: sections::segment(
                &decoded.lines,
                view.title.as_deref(),
                view.organization.as_deref(),
            ),
        }
    }
}

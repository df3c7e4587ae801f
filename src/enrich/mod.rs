//! The enrichers: pure functions from a [`PostingView`] to an
//! [`Enrichment`]. No I/O, no logging, no metrics: outcomes are returned as
//! values and the caller reports them.

pub mod description;
pub mod geo;
mod phrases;
pub mod salary;
pub mod sections;
pub mod skills;
mod stage;
pub mod warning;

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::posting::PostingView;
use crate::reference::money::MoneyData;
use crate::reference::{DataError, GeoData};
pub use geo::{Geo, GeoOptions};
pub use salary::{Salary, SalaryOptions};
pub use sections::{Section, SectionKind};
pub use skills::{Skill, Taxonomy};
pub use stage::{Outcomes, STAGES, Stage, StageOutcome, Staged};
pub use warning::{Warning, WarningCode};

/// Settings of all enrichers: `[enrich.*]` in `config/default.toml`,
/// deserialized as they are.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EnrichOptions {
    pub description: DescriptionOptions,
    pub salary: SalaryOptions,
    pub geo: GeoOptions,
}

/// `[enrich.description]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DescriptionOptions {
    /// Longest description read, in bytes; longer ones are cut with a warning.
    pub max_bytes: usize,
}

impl Default for DescriptionOptions {
    fn default() -> Self {
        DescriptionOptions {
            max_bytes: 256 * 1024,
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
    /// Every stage's warnings, in the order the stages ran.
    pub warnings: Vec<Warning>,
    /// How each stage went (not part of the record).
    #[serde(skip)]
    pub outcomes: Outcomes,
}

impl Enrichment {
    pub fn outcomes(&self) -> Outcomes {
        self.outcomes
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
        sections::prepare();
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

    /// Every stage over one posting, each from what the ones before it
    /// made: description, sections, geo, salary (which needs the text and
    /// the country), skills (which needs the sections).
    pub fn enrich(&self, view: &PostingView<'_>) -> Enrichment {
        let description = description::run(
            view.description.as_deref().unwrap_or(""),
            self.opts.description.max_bytes,
        );
        let decoded = description.value;
        let sections = sections::run(
            &decoded.lines,
            view.title.as_deref(),
            view.organization.as_deref(),
        );
        let text = decoded.plain_text();
        let locations = geo::run(
            &self.geo,
            &self.opts.geo,
            &view.locations,
            view.date_posted.as_deref(),
        );
        let salary_context = self.salary_context(view, &locations.value);
        let salary = salary::run(view, &text, &self.opts.salary, &salary_context);
        let skills = skills::run(&sections.value, &text, view.organization.as_deref());
        let outcomes = Outcomes::default()
            .with(Stage::Sections, sections.outcome)
            .with(Stage::Skills, skills.outcome)
            .with(Stage::Geo, locations.outcome)
            .with(Stage::Salary, salary.outcome);
        let warnings = [description.warnings, locations.warnings, salary.warnings].concat();
        Enrichment {
            description: DescriptionOut {
                text,
                sections: sections.value,
            },
            geo: locations.value.first().cloned(),
            locations: locations.value,
            salary: salary.value,
            skills: skills.value,
            warnings,
            outcomes,
        }
    }

    /// The money data, and the country and subdivision salary figures are
    /// judged in: the first location's, else the posting's stated country.
    fn salary_context<'a>(
        &'a self,
        view: &'a PostingView<'_>,
        locations: &'a [Geo],
    ) -> salary::SalaryContext<'a> {
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
        salary::SalaryContext {
            money: &self.money,
            countries: &self.geo.countries,
            country,
            subdivision,
        }
    }
}

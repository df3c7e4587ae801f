//! The enrichers: pure functions from a [`PostingView`] to an
//! [`Enrichment`]. No I/O, no logging, no metrics: outcomes are returned as
//! values and the caller reports them.

pub mod description;
pub mod education;
pub mod employment;
pub mod experience;
pub mod geo;
pub mod language;
pub mod lifecycle;
pub mod occupation;
mod patterns;
mod phrases;
mod requirement_lines;
pub mod salary;
pub mod sections;
pub mod seniority;
pub mod skills;
mod stage;
mod title_words;
pub mod warning;
pub mod work_arrangement;

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::posting::PostingView;
use crate::reference::money::{FxRates, MoneyData};
use crate::reference::versions::{self, ReferenceVersions};
use crate::reference::{DataError, GeoData};
pub use education::{Education, EducationLevel};
pub use employment::{Employment, EmploymentType};
pub use experience::Experience;
pub use geo::{Geo, GeoOptions};
pub use language::LanguageOptions;
pub use lifecycle::Lifecycle;
pub use occupation::Occupation;
pub use salary::{Salary, SalaryOptions};
pub use sections::{Section, SectionKind};
pub use seniority::{Seniority, SeniorityLevel};
pub use skills::{Skill, SkillsOptions, Taxonomy};
pub use stage::{Outcomes, STAGES, Stage, StageOutcome, Staged, StagesOptions};
pub use warning::{Warning, WarningCode};
pub use work_arrangement::WorkArrangement;

/// Settings of all enrichers: `[enrich.*]` in `config/default.toml`,
/// deserialized as they are.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EnrichOptions {
    pub description: DescriptionOptions,
    pub salary: SalaryOptions,
    pub skills: SkillsOptions,
    pub geo: GeoOptions,
    pub language: LanguageOptions,
    pub stages: StagesOptions,
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
    /// When the posting opened and closes.
    pub lifecycle: Option<Lifecycle>,
    /// The kinds of employment offered.
    pub employment: Option<Employment>,
    /// Remote, hybrid or on-site.
    pub work_arrangement: Option<WorkArrangement>,
    /// The level of the role.
    pub seniority: Option<Seniority>,
    /// The years of experience required.
    pub experience: Option<Experience>,
    /// The lowest degree accepted.
    pub education: Option<Education>,
    /// The description's language, ISO 639-1.
    pub language: Option<&'static str>,
    /// The occupation: ISCO-08 unit group, ESCO occupation, the title
    /// normalized.
    pub occupation: Option<Occupation>,
    /// Every stage's warnings, in the order the stages ran.
    pub warnings: Vec<Warning>,
    /// How each stage went (not part of the record).
    #[serde(skip)]
    pub outcomes: Outcomes,
}

/// Runs every enricher over a posting.
#[derive(Debug, Clone)]
pub struct Enricher {
    opts: EnrichOptions,
    geo: Arc<GeoData>,
    money: Arc<MoneyData>,
    skills: Arc<Taxonomy>,
    reference: Arc<ReferenceVersions>,
}

impl std::fmt::Debug for MoneyData {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MoneyData")
            .field("fx_date", &self.fx.date)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for Taxonomy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Taxonomy").finish_non_exhaustive()
    }
}

/// The reference files a config names, as read (the embedded text where it
/// names none): what one enricher is built from, so a reload builds from
/// exactly the bytes it compared.
#[derive(Debug, Clone, PartialEq)]
pub struct ReferenceFiles {
    /// `enrich.salary.fx_rates_file`, or the embedded rates.
    pub fx_rates: Option<String>,
    /// `enrich.skills.taxonomy_file`, or the embedded taxonomy.
    pub skills: Option<String>,
}

impl ReferenceFiles {
    /// Reads the files `opts` names (`None` for the embedded data).
    pub fn read(opts: &EnrichOptions) -> Result<ReferenceFiles, DataError> {
        let read = |what: &'static str, path: &Option<std::path::PathBuf>| {
            path.as_deref()
                .map(|p| {
                    std::fs::read_to_string(p)
                        .map_err(|e| DataError::new(what, format!("{}: {e}", p.display())))
                })
                .transpose()
        };
        Ok(ReferenceFiles {
            fx_rates: read(FX_RATES, &opts.salary.fx_rates_file)?,
            skills: read(SKILLS, &opts.skills.taxonomy_file)?,
        })
    }
}

impl ReferenceFiles {
    /// Whether `text` would load as data set `name` under `opts` (what
    /// [`Enricher::from_files`] checks, so a reload can judge each file on
    /// its own).
    pub fn check(name: &'static str, text: &str, opts: &EnrichOptions) -> Result<(), DataError> {
        match name {
            FX_RATES => load_rates(text, opts).map(|_| ()),
            _ => load_taxonomy(text).map(|_| ()),
        }
    }
}

/// A rates file's rates: the loader's checks, and a rate for the reporting
/// currency (without it every salary would lose its reporting figure).
fn load_rates(text: &str, opts: &EnrichOptions) -> Result<FxRates, DataError> {
    let fx = FxRates::from_toml(text).map_err(|e| DataError::new(FX_RATES, e.detail))?;
    let reporting = &opts.salary.reporting_currency;
    if !fx.rates.contains_key(reporting) {
        return Err(DataError::new(
            FX_RATES,
            format!("no rate for {reporting}, the reporting currency"),
        ));
    }
    Ok(fx)
}

fn load_taxonomy(text: &str) -> Result<Taxonomy, DataError> {
    Taxonomy::parse(text).map_err(|e| DataError::new(SKILLS, e))
}

/// The names of the reloadable data sets, in `DataError::what`, the
/// records' `enricher.reference` and the metrics' `file` label.
pub const FX_RATES: &str = "fx_rates";
pub const SKILLS: &str = "skills";

impl Enricher {
    fn assemble(
        opts: EnrichOptions,
        geo: Arc<GeoData>,
        money: Arc<MoneyData>,
        skills: Arc<Taxonomy>,
        reference: Arc<ReferenceVersions>,
    ) -> Self {
        // Built here, not on the first record (whose latency they would add).
        sections::prepare();
        experience::prepare();
        education::prepare();
        seniority::prepare();
        language::prepare();
        work_arrangement::prepare();
        salary::prepare();
        occupation::prepare();
        Enricher {
            opts,
            geo,
            money,
            skills,
            reference,
        }
    }

    /// With the process-wide geo data (loaded on first use) and the rates
    /// and taxonomy named by the options (embedded by default).
    pub fn with_shared_data(opts: EnrichOptions) -> Result<Self, Arc<DataError>> {
        let files = ReferenceFiles::read(&opts).map_err(Arc::new)?;
        Enricher::from_files(opts, &files)
    }

    /// With the process-wide geo data and these files' rates and taxonomy;
    /// an error names the data set (`FX_RATES`, `SKILLS`) that failed.
    pub fn from_files(opts: EnrichOptions, files: &ReferenceFiles) -> Result<Self, Arc<DataError>> {
        let fx = match &files.fx_rates {
            Some(text) => load_rates(text, &opts),
            None => FxRates::from_toml(MoneyData::embedded_fx_rates()),
        }
        .map_err(Arc::new)?;
        let money = MoneyData::with_rates(fx).map_err(Arc::new)?;
        let (skills, skills_version) = match &files.skills {
            Some(tsv) => (
                Arc::new(load_taxonomy(tsv).map_err(Arc::new)?),
                versions::content_version(tsv.as_bytes()),
            ),
            None => (
                Taxonomy::shared()
                    .ok_or_else(|| Arc::new(DataError::new(SKILLS, "the embedded taxonomy")))?,
                versions::embedded_skills(),
            ),
        };
        let fx_version = match &files.fx_rates {
            Some(text) => versions::content_version(text.as_bytes()),
            None => versions::embedded_fx_rates(),
        };
        let reference = Arc::new(reference_versions(&money, fx_version, skills_version));
        Ok(Enricher::assemble(
            opts,
            GeoData::shared()?,
            Arc::new(money),
            skills,
            reference,
        ))
    }

    /// Which reference data this enricher's records are made with.
    pub fn reference(&self) -> &ReferenceVersions {
        &self.reference
    }

    pub fn options(&self) -> &EnrichOptions {
        &self.opts
    }

    /// Every stage over one posting, each from what the ones before it
    /// made: description, sections, geo, salary (which needs the text and
    /// the country), skills (which needs the sections).
    pub fn enrich(&self, view: &PostingView<'_>) -> Enrichment {
        // Each stage's warnings join these as its value is taken, so they
        // are in the order the stages ran.
        let mut warnings = Vec::new();
        let (decoded, _) = description::run(
            view.description.as_deref().unwrap_or(""),
            self.opts.description.max_bytes,
        )
        .into_parts(&mut warnings);
        let (sections, sections_outcome) = sections::run(
            &decoded.lines,
            view.title.as_deref(),
            view.organization.as_deref(),
        )
        .into_parts(&mut warnings);
        let text = decoded.plain_text();
        let (locations, geo_outcome) = geo::run(
            &self.geo,
            &self.opts.geo,
            &view.locations,
            view.date_posted.as_deref(),
        )
        .into_parts(&mut warnings);
        let salary_context = self.salary_context(view, &locations);
        let (salary, salary_outcome) = self
            .unless_skipped(Stage::Salary, || {
                salary::run(view, &text, &self.opts.salary, &salary_context)
            })
            .into_parts(&mut warnings);
        let (skills, skills_outcome) = self
            .unless_skipped(Stage::Skills, || {
                skills::run(&self.skills, &sections, &text, view.organization.as_deref())
            })
            .into_parts(&mut warnings);
        let (lifecycle, lifecycle_outcome) = self
            .unless_skipped(Stage::Lifecycle, || {
                lifecycle::run(
                    view.date_posted.as_deref(),
                    view.valid_through.as_deref(),
                    locations.first().and_then(|g| g.timezone.as_deref()),
                )
            })
            .into_parts(&mut warnings);
        let (employment, employment_outcome) = self
            .unless_skipped(Stage::Employment, || {
                employment::run(view.employment_type, view.title.as_deref())
            })
            .into_parts(&mut warnings);
        let (work_arrangement, work_arrangement_outcome) = self
            .unless_skipped(Stage::WorkArrangement, || {
                work_arrangement::run(&work_arrangement::Input {
                    job_location_type: view.job_location_type,
                    applicant_location_requirements: view.applicant_location_requirements,
                    title: view.title.as_deref(),
                    text: &text,
                    locality: view
                        .locations
                        .first()
                        .and_then(|l| l.address.locality.as_deref()),
                    countries: &self.geo.countries,
                })
            })
            .into_parts(&mut warnings);
        // Seniority falls back on the years of experience: they are read
        // when either stage runs, and shown only when experience runs.
        let stages = &self.opts.stages;
        let years = (stages.runs(Stage::Experience) || stages.runs(Stage::Seniority))
            .then(|| experience::run(&sections, view.experience_requirements));
        let (years, experience_outcome) = match years {
            Some(read) if stages.runs(Stage::Experience) => read.into_parts(&mut warnings),
            unshown => (unshown.and_then(|read| read.value), StageOutcome::Skipped),
        };
        let (education, education_outcome) = self
            .unless_skipped(Stage::Education, || {
                education::run(
                    &sections,
                    education::Stated {
                        education_requirements: view.education_requirements,
                        qualifications: view.qualifications,
                        experience_in_place_of_education: view.experience_in_place_of_education,
                    },
                )
            })
            .into_parts(&mut warnings);
        let (seniority, seniority_outcome) = self
            .unless_skipped(Stage::Seniority, || {
                seniority::run(view.title.as_deref(), &text, years.as_ref())
            })
            .into_parts(&mut warnings);
        let (language, language_outcome) = self
            .unless_skipped(Stage::Language, || {
                language::run(&text, &self.opts.language)
            })
            .into_parts(&mut warnings);
        let (occupation, occupation_outcome) = self
            .unless_skipped(Stage::Occupation, || {
                occupation::run(view.title.as_deref(), view.occupational_category, &text)
            })
            .into_parts(&mut warnings);
        // Exhaustive: a new stage does not compile until its outcome is here.
        let outcomes = Outcomes::from_fn(|stage| match stage {
            Stage::Sections => sections_outcome,
            Stage::Skills => skills_outcome,
            Stage::Geo => geo_outcome,
            Stage::Salary => salary_outcome,
            Stage::Lifecycle => lifecycle_outcome,
            Stage::Employment => employment_outcome,
            Stage::WorkArrangement => work_arrangement_outcome,
            Stage::Experience => experience_outcome,
            Stage::Education => education_outcome,
            Stage::Seniority => seniority_outcome,
            Stage::Language => language_outcome,
            Stage::Occupation => occupation_outcome,
        });
        Enrichment {
            description: DescriptionOut { text, sections },
            geo: locations.first().cloned(),
            locations,
            salary,
            skills,
            lifecycle,
            employment,
            work_arrangement,
            seniority,
            experience: years.filter(|_| experience_outcome != StageOutcome::Skipped),
            education,
            language,
            occupation,
            warnings,
            outcomes,
        }
    }

    /// `run`'s result, or nothing with the outcome `skipped` when the
    /// options switch `stage` off.
    fn unless_skipped<T: Default>(
        &self,
        stage: Stage,
        run: impl FnOnce() -> Staged<T>,
    ) -> Staged<T> {
        if self.opts.stages.runs(stage) {
            run()
        } else {
            Staged::new(T::default(), StageOutcome::Skipped)
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
        let locality = locations.first().and_then(|g| {
            g.address
                .locality
                .as_deref()
                .or_else(|| g.place.as_ref().map(|p| &*p.name))
        });
        salary::SalaryContext {
            money: &self.money,
            countries: &self.geo.countries,
            country,
            subdivision,
            locality,
        }
    }
}

/// The versions of the data sets an enricher uses: the rates (with their
/// date), the taxonomy, and the data that is always embedded.
fn reference_versions(
    money: &MoneyData,
    fx_version: String,
    skills_version: String,
) -> ReferenceVersions {
    let mut entries = vec![
        (FX_RATES, format!("{} {fx_version}", money.fx.date)),
        (SKILLS, skills_version),
    ];
    entries.extend(versions::embedded_fixed());
    ReferenceVersions::new(entries)
}

//! Reference data read again while the worker runs (`run`): the FX rates
//! and the skills taxonomy a config names as files. The shell calls
//! [`Reloader::check`] every `reference.reload_interval` and on SIGHUP.
//!
//! A check reads every configured file whole and compares the bytes with
//! the ones in use, so any change counts: an edit, a file moved over the
//! old one, or a Kubernetes ConfigMap update (a symlink swap of the
//! mounted directory). Changed bytes count once a second read a moment
//! later agrees (a file rewritten in place can be read half written). Changed files are loaded into a new pipeline, which
//! replaces the old one for every batch from then on
//! ([`SharedPipeline`]): a record is made wholly with the old data or
//! wholly with the new. A file that cannot be read or does not load
//! changes nothing for its data set: the data in use stays, the failure is
//! logged and counted once per bad content
//! (`posting_enricher_reference_reload_failures_total{file}`),
//! `posting_enricher_reference_reload_failing{file}` is 1 while it lasts,
//! and `posting_enricher_reference_info` keeps the old version.
//!
//! Only files named in the config are read again. The embedded data (geo,
//! occupation, codes; the rates and taxonomy when no file is named) changes
//! only with the binary.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use tracing::{debug, info, warn};

use crate::config::Config;
use crate::enrich::{FX_RATES, ReferenceFiles, SKILLS};
use crate::pipeline::SharedPipeline;
use crate::reference::versions::{ReferenceVersions, content_version};
use crate::telemetry::Metrics;

/// What one check did.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Checked {
    /// The versions in use from now on, when a changed file was loaded.
    pub reloaded: Option<ReferenceVersions>,
    /// Files that could not be read or did not load, with why; the data
    /// in use for them stays (a good change of another file still loads).
    pub refused: Vec<(&'static str, String)>,
}

/// Checks the configured reference files and puts changed ones in use.
pub struct Reloader {
    config: Config,
    pipeline: Arc<SharedPipeline>,
    metrics: Arc<Metrics>,
    /// The files' contents as in use (held through a check, so two checks
    /// never interleave).
    loaded: Mutex<ReferenceFiles>,
    /// Per data set, the failure last reported: the same bad file is not
    /// logged or counted again on every check.
    reported: Mutex<HashMap<&'static str, String>>,
    /// The wait between the two reads of a changed file.
    settle: Arc<dyn Fn() + Send + Sync>,
}

/// A changed file is read again after this long, and taken only when both
/// reads agree: a file rewritten in place can be read half written.
const SETTLE: std::time::Duration = std::time::Duration::from_millis(250);

impl Reloader {
    /// `files` are the contents `pipeline`'s current one was built from.
    pub fn new(
        config: Config,
        pipeline: Arc<SharedPipeline>,
        metrics: Arc<Metrics>,
        files: ReferenceFiles,
    ) -> Self {
        metrics.set_reference(None, pipeline.current().reference());
        Reloader {
            config,
            pipeline,
            metrics,
            loaded: Mutex::new(files),
            reported: Mutex::new(HashMap::new()),
            settle: Arc::new(|| std::thread::sleep(SETTLE)),
        }
    }

    /// The data sets read from files, with their paths.
    fn watched(&self) -> Vec<(&'static str, &Path)> {
        let e = &self.config.enrich;
        [
            (FX_RATES, e.salary.fx_rates_file.as_deref()),
            (SKILLS, e.skills.taxonomy_file.as_deref()),
        ]
        .into_iter()
        .filter_map(|(name, path)| Some((name, path?)))
        .collect()
    }

    /// Whether any file is configured (else there is nothing to check).
    pub fn watches_files(&self) -> bool {
        !self.watched().is_empty()
    }

    /// Reads the configured files; loads those that changed and load. Each
    /// file is judged on its own: a bad one keeps its data in use and does
    /// not hold back a good change of another. Blocking (file reads and
    /// parsing): call it off the async runtime.
    pub fn check(&self) -> Checked {
        let mut loaded = lock(&self.loaded);
        let mut next = loaded.clone();
        let mut checked = Checked::default();
        for (name, path) in self.watched() {
            let slot = match name {
                FX_RATES => &mut next.fx_rates,
                _ => &mut next.skills,
            };
            let text = match std::fs::read_to_string(path) {
                Ok(text) => text,
                Err(e) => {
                    let error = format!("{}: {e}", path.display());
                    self.refuse(name, path, &error, format!("read: {e}"));
                    checked.refused.push((name, error));
                    continue;
                }
            };
            if slot.as_deref() == Some(text.as_str()) {
                // Back to what is in use: a later failure is news again.
                lock(&self.reported).remove(name);
                continue;
            }
            // A file rewritten in place can be read half written, and a
            // half may load: new content counts once a second read, a
            // moment later, gives the same bytes (else the next check).
            (self.settle)();
            if std::fs::read_to_string(path).ok().as_deref() != Some(text.as_str()) {
                debug!(
                    file = name,
                    "a reference file is changing; checked again next time"
                );
                continue;
            }
            match ReferenceFiles::check(name, &text, &self.config.enrich) {
                Ok(()) => {
                    // New content in use: a failure after it is news again.
                    lock(&self.reported).remove(name);
                    *slot = Some(text);
                }
                Err(e) => {
                    self.refuse(name, path, &e.detail, content_version(text.as_bytes()));
                    checked.refused.push((name, e.detail));
                }
            }
        }
        for name in [FX_RATES, SKILLS] {
            let failing = checked.refused.iter().any(|(n, _)| *n == name);
            self.metrics
                .reference_reload_failing
                .with_label_values(&[name])
                .set(i64::from(failing));
        }
        if next == *loaded {
            return checked;
        }
        // Every changed file passed its own check: the pipeline loads.
        match self.config.pipeline_from_files(&next) {
            Ok(pipeline) => {
                let old = self.pipeline.current();
                let versions = pipeline.reference().clone();
                self.pipeline.replace(pipeline);
                *loaded = next;
                self.metrics.set_reference(Some(old.reference()), &versions);
                self.metrics.reference_reloads.inc();
                info!(reference = versions.json(), "reference data reloaded");
                checked.reloaded = Some(versions);
            }
            Err(e) => {
                let name = if e.what == SKILLS { SKILLS } else { FX_RATES };
                warn!(file = name, error = %e.detail, "reference data did not load; the data in use stays");
                checked.refused.push((name, e.detail.clone()));
            }
        }
        checked
    }

    /// A failure: logged and counted once per bad content or read error
    /// (`key`).
    fn refuse(&self, name: &'static str, path: &Path, error: &str, key: String) {
        let mut reported = lock(&self.reported);
        if reported.get(name) == Some(&key) {
            return;
        }
        reported.insert(name, key);
        self.metrics
            .reference_reload_failures
            .with_label_values(&[name])
            .inc();
        warn!(file = name, path = %path.display(), error, "a reference file did not load; the data in use stays");
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::Pipeline;
    use crate::record::RecordContext;

    const RATES: &str = include_str!("../config/fx-rates.toml");

    /// The shipped rates with USD per euro set to `usd`, dated `date`.
    fn rates(date: &str, usd: &str) -> String {
        let mut fx = crate::reference::money::FxRates::from_toml(RATES).unwrap();
        fx.date = date.to_string();
        fx.rates.insert("USD".into(), usd.parse().unwrap());
        fx.to_toml()
    }

    /// The shipped taxonomy cut to its header and first skill: another
    /// taxonomy that loads.
    fn one_skill_taxonomy() -> String {
        let shipped = crate::enrich::Taxonomy::embedded_tsv();
        let header = shipped.lines().next().unwrap();
        let first_row = shipped
            .lines()
            .skip(1)
            .find(|l| !l.starts_with('#') && !l.trim().is_empty())
            .unwrap();
        format!("{header}\n{first_row}\n")
    }

    /// A reloader of `config`'s files, with its pipeline.
    fn reloader_of(config: Config, metrics: Arc<Metrics>) -> (Reloader, Arc<SharedPipeline>) {
        let files = ReferenceFiles::read(&config.enrich).unwrap();
        let pipeline = Arc::new(SharedPipeline::new(
            config.pipeline_from_files(&files).unwrap(),
        ));
        let reloader = Reloader::new(config, pipeline.clone(), metrics, files);
        (reloader, pipeline)
    }

    struct Setup {
        _dir: tempfile::TempDir,
        path: std::path::PathBuf,
        reloader: Reloader,
        pipeline: Arc<SharedPipeline>,
        metrics: Arc<Metrics>,
    }

    fn setup() -> Setup {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fx-rates.toml");
        std::fs::write(&path, rates("2026-10-30", "1.1172")).unwrap();
        let mut config = Config::default();
        config.enrich.salary.fx_rates_file = Some(path.clone());
        let metrics = Arc::new(Metrics::new());
        let (reloader, pipeline) = reloader_of(config, metrics.clone());
        Setup {
            _dir: dir,
            path,
            reloader,
            pipeline,
            metrics,
        }
    }

    impl Setup {
        /// Reload failures counted for the rates file.
        fn failures(&self) -> u64 {
            self.metrics
                .reference_reload_failures
                .with_label_values(&["fx_rates"])
                .get()
        }
    }

    fn fx_version(p: &Pipeline) -> String {
        p.reference().get("fx_rates").unwrap().to_string()
    }

    /// The reporting figure of a posting paid 100,000 EUR a year.
    fn usd_of_100k_eur(p: &Pipeline) -> f64 {
        let posting = br#"{"@type":"JobPosting","title":"Engineer","description":"Build things.","baseSalary":{"@type":"MonetaryAmount","currency":"EUR","value":{"@type":"QuantitativeValue","value":100000,"unitText":"YEAR"}}}"#;
        let ctx = RecordContext {
            source: None,
            enriched_at: "2026-11-29T00:00:00Z",
        };
        let out = p.process(posting, &ctx).unwrap();
        let record: serde_json::Value = serde_json::from_slice(&out.json).unwrap();
        assert_eq!(
            record["enricher"]["reference"]["fx_rates"].as_str(),
            Some(fx_version(p).as_str()),
            "the record names the rates it was made with"
        );
        record["enrichment"]["salary"]["reporting"]["mid"]
            .as_f64()
            .unwrap_or_else(|| panic!("{}", record["enrichment"]["salary"]))
    }

    #[test]
    fn an_unchanged_file_is_not_loaded_again() {
        let s = setup();
        let before = s.pipeline.current();
        assert_eq!(s.reloader.check(), Checked::default());
        assert!(Arc::ptr_eq(&before, &s.pipeline.current()));
        assert_eq!(s.metrics.reference_reloads.get(), 0);
    }

    #[test]
    fn a_changed_file_is_in_use_for_what_comes_after_and_not_before() {
        let s = setup();
        let old = s.pipeline.current();
        assert_eq!(usd_of_100k_eur(&old).round(), 111_720.0);
        std::fs::write(&s.path, rates("2026-11-02", "1.2")).unwrap();
        let Some(versions) = s.reloader.check().reloaded else {
            panic!("not reloaded");
        };
        assert!(
            versions
                .get("fx_rates")
                .unwrap()
                .starts_with("2026-11-02 sha256:")
        );
        let new = s.pipeline.current();
        assert_eq!(usd_of_100k_eur(&new).round(), 120_000.0);
        // A batch that took the old pipeline still makes old records.
        assert_eq!(usd_of_100k_eur(&old).round(), 111_720.0);
        assert_eq!(s.metrics.reference_reloads.get(), 1);
        let text = String::from_utf8(s.metrics.render()).unwrap();
        assert!(text.contains("2026-11-02 sha256:"), "{text}");
        assert!(
            !text.contains("2026-10-30 sha256:"),
            "the old version is gone: {text}"
        );
    }

    #[test]
    fn a_bad_file_keeps_the_data_in_use_and_is_counted_once() {
        let s = setup();
        let before = s.pipeline.current();
        let failing = || {
            s.metrics
                .reference_reload_failing
                .with_label_values(&["fx_rates"])
                .get()
        };
        for bad in [
            rates("2026-11-02", "-1.2"),
            "date = \"2026-11-02\"\n[rates\n".to_string(),
        ] {
            std::fs::write(&s.path, &bad).unwrap();
            let before_failures = s.failures();
            for _ in 0..3 {
                let checked = s.reloader.check();
                assert_eq!(checked.reloaded, None);
                assert_eq!(checked.refused.len(), 1, "{checked:?}");
                assert_eq!(checked.refused[0].0, "fx_rates");
            }
            assert_eq!(failing(), 1);
            assert_eq!(
                s.failures(),
                before_failures + 1,
                "counted once per content"
            );
            assert!(Arc::ptr_eq(&before, &s.pipeline.current()));
        }
        std::fs::remove_file(&s.path).unwrap();
        assert_eq!(s.reloader.check().refused[0].0, "fx_rates");
        assert_eq!(s.failures(), 3);
        let text = String::from_utf8(s.metrics.render()).unwrap();
        assert!(
            text.contains("2026-10-30 sha256:"),
            "the old version stays: {text}"
        );
        // Fixed: loaded.
        std::fs::write(&s.path, rates("2026-11-03", "1.3")).unwrap();
        assert!(s.reloader.check().reloaded.is_some());
        assert_eq!(failing(), 0);
        assert_eq!(usd_of_100k_eur(&s.pipeline.current()).round(), 130_000.0);
    }

    #[test]
    fn a_symlink_swapped_like_a_configmap_is_picked_up() {
        // Kubernetes mounts a ConfigMap as `..data -> ..2026_11_02...`, with
        // each file a symlink through `..data`; an update swaps `..data`.
        let dir = tempfile::tempdir().unwrap();
        let v1 = dir.path().join("..v1");
        let v2 = dir.path().join("..v2");
        std::fs::create_dir(&v1).unwrap();
        std::fs::create_dir(&v2).unwrap();
        std::fs::write(v1.join("fx-rates.toml"), rates("2026-10-30", "1.1172")).unwrap();
        std::fs::write(v2.join("fx-rates.toml"), rates("2026-11-02", "1.2")).unwrap();
        let data = dir.path().join("..data");
        std::os::unix::fs::symlink("..v1", &data).unwrap();
        let path = dir.path().join("fx-rates.toml");
        std::os::unix::fs::symlink("..data/fx-rates.toml", &path).unwrap();
        let mut config = Config::default();
        config.enrich.salary.fx_rates_file = Some(path);
        let (reloader, pipeline) = reloader_of(config, Arc::new(Metrics::new()));
        let swap = dir.path().join("..data_tmp");
        std::os::unix::fs::symlink("..v2", &swap).unwrap();
        std::fs::rename(&swap, &data).unwrap();
        assert!(reloader.check().reloaded.is_some());
        assert!(fx_version(&pipeline.current()).starts_with("2026-11-02 "));
    }

    #[test]
    fn a_taxonomy_file_is_reloaded_too() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("skills.tsv");
        let shipped = crate::enrich::Taxonomy::embedded_tsv();
        std::fs::write(&path, shipped).unwrap();
        let mut config = Config::default();
        config.enrich.skills.taxonomy_file = Some(path.clone());
        let files = ReferenceFiles::read(&config.enrich).unwrap();
        let pipeline = Arc::new(SharedPipeline::new(
            config.pipeline_from_files(&files).unwrap(),
        ));
        assert_eq!(
            pipeline
                .current()
                .reference()
                .get("skills")
                .map(str::to_string),
            Some(crate::reference::versions::embedded_skills()),
            "the same content, the same version as embedded"
        );
        let metrics = Arc::new(Metrics::new());
        let reloader = Reloader::new(config, pipeline.clone(), metrics.clone(), files);
        // A row with too few columns.
        std::fs::write(&path, format!("{shipped}broken\n")).unwrap();
        assert_eq!(reloader.check().refused[0].0, "skills");
        std::fs::write(&path, one_skill_taxonomy()).unwrap();
        let Some(v) = reloader.check().reloaded else {
            panic!("not reloaded")
        };
        assert_ne!(
            v.get("skills").map(str::to_string),
            Some(crate::reference::versions::embedded_skills())
        );
    }

    /// Review finding: the whole pipeline was rebuilt from both files, so a
    /// bad rates file held back a good new taxonomy without a word.
    #[test]
    fn a_bad_file_does_not_hold_back_a_good_change_of_another() {
        let s = setup();
        let dir = s.path.parent().unwrap();
        let taxonomy = dir.join("skills.tsv");
        let shipped = crate::enrich::Taxonomy::embedded_tsv();
        std::fs::write(&taxonomy, shipped).unwrap();
        let mut config = s.reloader.config.clone();
        config.enrich.skills.taxonomy_file = Some(taxonomy.clone());
        let (reloader, pipeline) = reloader_of(config, Arc::new(Metrics::new()));
        let fx_before = fx_version(&pipeline.current());
        std::fs::write(&s.path, "not toml at all [").unwrap();
        std::fs::write(&taxonomy, one_skill_taxonomy()).unwrap();
        let checked = reloader.check();
        assert_eq!(checked.refused.len(), 1, "{checked:?}");
        assert_eq!(checked.refused[0].0, "fx_rates");
        let v = checked.reloaded.expect("the taxonomy loads");
        assert_ne!(
            v.get("skills").map(str::to_string),
            Some(crate::reference::versions::embedded_skills())
        );
        assert_eq!(v.get("fx_rates"), Some(fx_before.as_str()));
    }

    /// Review finding: a file broken, put back, and broken the same way
    /// again was not reported the second time.
    #[test]
    fn the_same_failure_after_a_good_spell_is_reported_again() {
        let s = setup();
        let good = std::fs::read_to_string(&s.path).unwrap();
        let bad = rates("2026-11-02", "0");
        std::fs::write(&s.path, &bad).unwrap();
        s.reloader.check();
        std::fs::write(&s.path, &good).unwrap();
        assert_eq!(s.reloader.check(), Checked::default());
        std::fs::write(&s.path, &bad).unwrap();
        s.reloader.check();
        assert_eq!(s.failures(), 2);
    }

    /// Review finding (23rd session): the same bad file after a good one
    /// that was new (not the content in use before) went unreported: only
    /// going back to the content in use cleared the last failure.
    #[test]
    fn the_same_failure_after_a_new_good_file_is_reported_again() {
        let s = setup();
        let bad = rates("2026-11-02", "0");
        std::fs::write(&s.path, &bad).unwrap();
        s.reloader.check();
        std::fs::write(&s.path, rates("2026-11-03", "1.15")).unwrap();
        assert!(s.reloader.check().reloaded.is_some());
        std::fs::write(&s.path, &bad).unwrap();
        s.reloader.check();
        assert_eq!(s.failures(), 2);
    }

    /// Review finding (23rd session): a file rewritten in place could be
    /// read half written, and a half that loads (rates cut after "USD = 1")
    /// was put in use until the next check. New content now counts only
    /// when a second read after a moment gives the same bytes.
    #[test]
    fn a_file_still_being_written_is_taken_only_once_it_reads_the_same_twice() {
        let mut s = setup();
        let before = fx_version(&s.pipeline.current());
        let full = rates("2026-11-03", "1.15");
        let cut_at = full.find("USD = 1").unwrap() + "USD = 1".len();
        std::fs::write(&s.path, &full[..cut_at]).unwrap();
        // The writer finishes between the check's two reads.
        let path = s.path.clone();
        let written = full.clone();
        s.reloader.settle = Arc::new(move || std::fs::write(&path, &written).unwrap());
        let first = s.reloader.check();
        assert_eq!(first, Checked::default(), "nothing taken while it changes");
        assert_eq!(fx_version(&s.pipeline.current()), before);
        let second = s.reloader.check();
        assert!(second.reloaded.is_some());
        assert_eq!(
            fx_version(&s.pipeline.current()),
            format!("2026-11-03 {}", content_version(full.as_bytes()))
        );
        assert_eq!(s.failures(), 0);
    }

    #[test]
    fn rates_without_the_reporting_currency_or_a_proper_date_are_refused() {
        let s = setup();
        for bad in [
            rates("2026-11-02", "1.2").replace("USD = 1.2\n", ""),
            rates("30 October 2026", "1.2"),
            "date = \"2026-11-02\"\nsource = \"x\"\nbase = \"EUR\"\n[rates]\nEUR = 1.0\n"
                .to_string(),
        ] {
            std::fs::write(&s.path, &bad).unwrap();
            let checked = s.reloader.check();
            assert_eq!(checked.refused.len(), 1, "{bad}");
            assert_eq!(checked.reloaded, None);
        }
    }
}

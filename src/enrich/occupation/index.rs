//! The occupations a title can name, built once at start from embedded
//! data: ESCO's occupations with their preferred and alternative labels
//! (each in one ISCO-08 unit group), the ISCO-08 group names, and the
//! project's own title table for what ESCO lacks or files elsewhere
//! (`data/occupation/titles.tsv`, with the reason for each row).

use rustc_hash::FxHashMap as HashMap;
use std::sync::OnceLock;

use super::title;

const ESCO_TSV: &str = include_str!("../../../data/occupation/esco-occupations.tsv");
const GROUPS_TSV: &str = include_str!("../../../data/occupation/isco08-groups.tsv");
const TITLES_TSV: &str = include_str!("../../../data/occupation/titles.tsv");

/// An ESCO occupation.
#[derive(Debug)]
pub struct EscoEntry {
    pub isco08: &'static str,
    /// The last part of its URI.
    pub id: &'static str,
    pub label: &'static str,
}

/// Where a title's occupation was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Found {
    /// The project's title table.
    Table,
    /// An ESCO label naming one occupation (or one unit group).
    Esco,
    /// ESCO labels in more than one unit group.
    Ambiguous,
}

/// What a label leads to.
#[derive(Debug, Clone)]
pub struct Entry {
    pub found: Found,
    pub isco08: &'static str,
    /// The ESCO occupation, when one fits.
    pub esco: Option<u32>,
    /// For an ambiguous label: every (unit group, occupation) it names.
    pub candidates: Vec<(&'static str, u32)>,
    /// A title table row's own confidence.
    pub confidence: Option<f64>,
    /// Whether the label is an occupation's preferred label in ESCO (a
    /// single word names an occupation only then, or in the title table:
    /// "general" is an alternative label of a military rank).
    pub preferred: bool,
}

pub struct OccupationIndex {
    pub occupations: Vec<EscoEntry>,
    groups: HashMap<&'static str, &'static str>,
    by_label: HashMap<String, Entry>,
}

impl OccupationIndex {
    /// The index of the embedded data, built on first use.
    pub fn shared() -> &'static OccupationIndex {
        static INDEX: OnceLock<OccupationIndex> = OnceLock::new();
        INDEX.get_or_init(OccupationIndex::build)
    }

    fn build() -> OccupationIndex {
        let mut occupations = Vec::new();
        // Label → (occupation, is it the preferred label).
        let mut labels: HashMap<String, Vec<(u32, bool)>> = HashMap::default();
        for line in data_lines(ESCO_TSV) {
            let mut cols = line.split('\t');
            let (Some(isco08), Some(id), Some(label)) = (cols.next(), cols.next(), cols.next())
            else {
                continue;
            };
            let alts = cols.next().unwrap_or("");
            let n = u32::try_from(occupations.len()).unwrap_or(u32::MAX);
            occupations.push(EscoEntry { isco08, id, label });
            labels.entry(normalize(label)).or_default().push((n, true));
            for alt in alts.split('|').filter(|a| !a.is_empty()) {
                labels.entry(normalize(alt)).or_default().push((n, false));
            }
        }
        let mut by_label: HashMap<String, Entry> = labels
            .into_iter()
            .filter(|(label, _)| !label.is_empty())
            .map(|(label, hits)| {
                let entry = esco_entry(&occupations, &hits);
                (label, entry)
            })
            .collect();
        let ids: HashMap<&str, u32> = occupations
            .iter()
            .enumerate()
            .map(|(i, o)| (o.id, u32::try_from(i).unwrap_or(u32::MAX)))
            .collect();
        for line in data_lines(TITLES_TSV) {
            let mut cols = line.split('\t');
            let (Some(t), Some(isco08), Some(esco), Some(confidence)) =
                (cols.next(), cols.next(), cols.next(), cols.next())
            else {
                continue;
            };
            by_label.insert(
                normalize(t),
                Entry {
                    found: Found::Table,
                    isco08,
                    esco: ids.get(esco).copied(),
                    candidates: Vec::new(),
                    confidence: confidence.parse().ok(),
                    preferred: true,
                },
            );
        }
        let groups = data_lines(GROUPS_TSV)
            .filter_map(|l| l.split_once('\t'))
            .collect();
        OccupationIndex {
            occupations,
            groups,
            by_label,
        }
    }

    /// What the normalized title words `text` name, if anything.
    pub fn get(&self, text: &str) -> Option<&Entry> {
        self.by_label.get(text)
    }

    /// The ISCO-08 group's name (any level).
    pub fn group_label(&self, code: &str) -> Option<&'static str> {
        self.groups.get(code).copied()
    }

    pub fn occupation(&self, n: u32) -> Option<&EscoEntry> {
        self.occupations.get(n as usize)
    }

    /// The ESCO occupation with this id (the last part of its URI).
    pub fn occupation_id(&self, id: &str) -> Option<u32> {
        self.occupations
            .iter()
            .position(|o| o.id == id)
            .and_then(|n| u32::try_from(n).ok())
    }
}

/// A label's entry: one unit group (preferring the occupation whose
/// preferred label it is), else ambiguous.
fn esco_entry(occupations: &[EscoEntry], hits: &[(u32, bool)]) -> Entry {
    let group_of = |n: u32| occupations.get(n as usize).map_or("", |o| o.isco08);
    let preferred = hits.iter().find(|(_, p)| *p).map(|(n, _)| *n);
    let first = preferred.unwrap_or(hits[0].0);
    let mut candidates: Vec<(&'static str, u32)> =
        hits.iter().map(|&(n, _)| (group_of(n), n)).collect();
    candidates.sort_unstable();
    candidates.dedup_by_key(|c| c.0);
    if candidates.len() == 1 || preferred.is_some() {
        Entry {
            found: Found::Esco,
            isco08: group_of(first),
            esco: Some(first),
            candidates: Vec::new(),
            confidence: None,
            preferred: preferred.is_some(),
        }
    } else {
        Entry {
            found: Found::Ambiguous,
            isco08: group_of(first),
            esco: Some(first),
            candidates,
            confidence: None,
            preferred: preferred.is_some(),
        }
    }
}

/// The lines of an embedded table without comments.
fn data_lines(tsv: &'static str) -> impl Iterator<Item = &'static str> {
    tsv.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
}

/// A label's words as a title's are (lower case, abbreviations spelled
/// out; qualifiers are not taken off a label), joined by spaces.
pub fn normalize(label: &str) -> String {
    title::words_of(label).join(" ")
}

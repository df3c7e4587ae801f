//! ISO 3166-1 countries and ISO 3166-2 subdivisions: codes, names, and the
//! free-text spellings feeds use for them ("USA", "United States",
//! "California", "CA").

use std::collections::HashMap;
use std::sync::Arc;

use super::data_error::DataError;
use super::text::fold;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Country {
    // Shared with every record that names the country: a clone is a count.
    pub alpha2: Arc<str>,
    pub alpha3: Arc<str>,
    pub name: Arc<str>,
}

#[derive(Debug, Clone)]
struct Subdivision {
    name: Arc<str>,
    parent: Option<String>,
}

pub struct Countries {
    by_alpha2: HashMap<String, Country>,
    /// Folded name, alpha-3 or alternative spelling -> alpha-2.
    by_name: HashMap<String, String>,
    subdivisions: HashMap<String, Subdivision>,
    /// (country, folded subdivision name or code suffix) -> code.
    subdivision_by_name: HashMap<(String, String), String>,
}

impl Countries {
    pub fn from_tsv(iso3166_1: &str, iso3166_2: &str) -> Result<Countries, DataError> {
        let mut by_alpha2 = HashMap::new();
        let mut by_name: HashMap<String, Option<String>> = HashMap::new();
        for line in iso3166_1.lines().skip(1).filter(|l| !l.trim().is_empty()) {
            let cols: Vec<&str> = line.split('\t').collect();
            let [alpha2, alpha3, _numeric, name, alt] = cols[..] else {
                return Err(DataError::new("iso3166-1", format!("bad line {line:?}")));
            };
            by_alpha2.insert(
                alpha2.to_string(),
                Country {
                    alpha2: alpha2.into(),
                    alpha3: alpha3.into(),
                    name: name.into(),
                },
            );
            for n in [alpha2, alpha3, name].into_iter().chain(alt.split('|')) {
                let key = fold(n);
                if key.is_empty() {
                    continue;
                }
                // A spelling claimed by two countries identifies neither.
                by_name
                    .entry(key)
                    .and_modify(|v| {
                        if v.as_deref() != Some(alpha2) {
                            *v = None;
                        }
                    })
                    .or_insert_with(|| Some(alpha2.to_string()));
            }
        }
        // Codes always win over names ("IN" is India, not the word "in").
        for a2 in by_alpha2.keys() {
            by_name.insert(fold(a2), Some(a2.clone()));
        }
        let mut subdivisions = HashMap::new();
        let mut subdivision_by_name: HashMap<(String, String), Option<String>> = HashMap::new();
        for line in iso3166_2.lines().skip(1).filter(|l| !l.trim().is_empty()) {
            let cols: Vec<&str> = line.split('\t').collect();
            let [code, name, _type, parent] = cols[..] else {
                return Err(DataError::new("iso3166-2", format!("bad line {line:?}")));
            };
            let Some((country, suffix)) = code.split_once('-') else {
                continue;
            };
            subdivisions.insert(
                code.to_string(),
                Subdivision {
                    name: name.into(),
                    parent: Some(parent).filter(|p| !p.is_empty()).map(|p| {
                        if p.contains('-') {
                            p.to_string()
                        } else {
                            format!("{country}-{p}")
                        }
                    }),
                },
            );
            // "Wales [Cymru GB-CYM]": the name before a bracket, and the
            // bracketed alternative.
            let names = name
                .split(['[', ']'])
                .flat_map(|part| part.split(['/', ',']))
                .map(str::trim)
                .filter(|n| !n.is_empty() && !n.contains(&format!("{country}-")));
            for n in names.chain(std::iter::once(suffix)) {
                subdivision_by_name
                    .entry((country.to_string(), fold(n)))
                    .and_modify(|v| {
                        if v.as_deref() != Some(code) {
                            *v = None;
                        }
                    })
                    .or_insert_with(|| Some(code.to_string()));
            }
            // Suffix codes always identify ("CA" in the US is California).
            subdivision_by_name.insert((country.to_string(), fold(suffix)), Some(code.to_string()));
        }
        Ok(Countries {
            by_alpha2,
            by_name: by_name
                .into_iter()
                .filter_map(|(k, v)| Some((k, v?)))
                .collect(),
            subdivisions,
            subdivision_by_name: subdivision_by_name
                .into_iter()
                .filter_map(|(k, v)| Some((k, v?)))
                .collect(),
        })
    }

    pub fn get(&self, alpha2: &str) -> Option<&Country> {
        self.by_alpha2.get(alpha2)
    }

    /// The alpha-2 code for a stated country: a code or a name in any of
    /// its common spellings.
    pub fn resolve(&self, stated: &str) -> Option<&str> {
        self.by_name.get(&fold(stated)).map(String::as_str)
    }

    pub fn subdivision_name(&self, code: &str) -> Option<&Arc<str>> {
        self.subdivisions.get(code).map(|s| &s.name)
    }

    pub fn is_subdivision(&self, code: &str) -> bool {
        self.subdivisions.contains_key(code)
    }

    /// The ISO 3166-2 code a stated region names, within a country:
    /// "CA" or "California" in US -> "US-CA".
    pub fn resolve_subdivision(&self, country: &str, stated: &str) -> Option<&str> {
        if let Some((c, _)) = stated.split_once('-')
            && c.eq_ignore_ascii_case(country)
            && self.subdivisions.contains_key(&stated.to_ascii_uppercase())
        {
            return self
                .subdivisions
                .get_key_value(&stated.to_ascii_uppercase())
                .map(|(k, _)| k.as_str());
        }
        let folded = fold(stated);
        let lookup = |name: &str| {
            self.subdivision_by_name
                .get(&(country.to_string(), name.to_string()))
                .map(String::as_str)
        };
        // LinkedIn's "Texas Metropolitan Area", "South Carolina Area".
        lookup(&folded).or_else(|| {
            ["metropolitan area", "area", "region", "state"]
                .iter()
                .find_map(|suffix| folded.strip_suffix(suffix).map(str::trim_end))
                .and_then(lookup)
        })
    }

    /// Whether `a` is `b` or one contains the other (a county of a state).
    pub fn subdivision_within(&self, a: &str, b: &str) -> bool {
        let mut code = Some(a);
        for _ in 0..4 {
            match code {
                Some(c) if c == b => return true,
                Some(c) => code = self.subdivisions.get(c).and_then(|s| s.parent.as_deref()),
                None => return false,
            }
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn countries() -> Countries {
        Countries::from_tsv(super::super::ISO3166_1, super::super::ISO3166_2).expect("load")
    }

    #[test]
    fn stated_countries_in_many_spellings() {
        let c = countries();
        for s in [
            "US",
            "USA",
            "United States",
            "united states of america",
            "U.S.",
        ] {
            assert_eq!(c.resolve(s), Some("US"), "{s}");
        }
        assert_eq!(c.resolve("Deutschland"), Some("DE"));
        assert_eq!(c.resolve("IN"), Some("IN"));
        assert_eq!(c.resolve("Việt Nam"), Some("VN"));
        assert_eq!(c.resolve("日本"), Some("JP"));
        assert_eq!(c.resolve("Atlantis"), None);
        assert_eq!(c.get("US").map(|x| &*x.alpha3), Some("USA"));
    }

    #[test]
    fn stated_regions() {
        let c = countries();
        assert_eq!(c.resolve_subdivision("US", "CA"), Some("US-CA"));
        assert_eq!(c.resolve_subdivision("US", "California"), Some("US-CA"));
        assert_eq!(c.resolve_subdivision("IN", "Maharashtra"), Some("IN-MH"));
        assert_eq!(c.resolve_subdivision("US", "US-TX"), Some("US-TX"));
        assert_eq!(c.resolve_subdivision("US", "Narnia"), None);
        assert_eq!(
            c.resolve_subdivision("US", "Texas Metropolitan Area"),
            Some("US-TX")
        );
        assert_eq!(c.resolve_subdivision("US", "AR Area"), Some("US-AR"));
    }
}

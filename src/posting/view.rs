//! The posting as the enrichers see it: the few fields they read, already
//! made tolerant of the shapes real feeds send. Strings borrow from the input
//! where JSON escaping allows.

use std::borrow::Cow;

use serde_json::value::RawValue;

use super::fields::RawFields;
use super::lenient::{self, raw_number, raw_string_or_number, raw_text};
use super::raw_object::{RawObject, items};

/// A decoded JobPosting. `raw` is the posting object's JSON text exactly as
/// received (validated JSON).
#[derive(Debug)]
pub struct PostingView<'a> {
    pub raw: &'a str,
    pub title: Option<Cow<'a, str>>,
    pub description: Option<Cow<'a, str>>,
    pub identifier: Option<Identifier>,
    pub organization: Option<String>,
    pub date_posted: Option<Cow<'a, str>>,
    /// `validThrough`: when the posting closes.
    pub valid_through: Option<Cow<'a, str>>,
    /// `employmentType`, kept raw (one value or a list) for the employment stage.
    pub employment_type: Option<&'a RawValue>,
    /// `jobLocationType` (`TELECOMMUTE`), kept raw.
    pub job_location_type: Option<&'a RawValue>,
    /// `applicantLocationRequirements`, kept raw.
    pub applicant_location_requirements: Option<&'a RawValue>,
    /// `educationRequirements` (a credential or its text), kept raw.
    pub education_requirements: Option<&'a RawValue>,
    /// `experienceRequirements` (`monthsOfExperience` or text), kept raw.
    pub experience_requirements: Option<&'a RawValue>,
    /// `experienceInPlaceOfEducation`, kept raw.
    pub experience_in_place_of_education: Option<&'a RawValue>,
    /// `qualifications` (a credential or text), kept raw.
    pub qualifications: Option<&'a RawValue>,
    /// `occupationalCategory`, kept raw (a code, or a `CategoryCode`) for
    /// the occupation stage.
    pub occupational_category: Option<&'a RawValue>,
    pub locations: Vec<Location>,
    /// `baseSalary` (the employer's statement), kept raw for the salary stage.
    pub base_salary: Option<&'a RawValue>,
    /// `estimatedSalary` (a job board's estimate).
    pub estimated_salary: Option<&'a RawValue>,
    pub salary_currency: Option<Cow<'a, str>>,
}

/// `identifier`: a `PropertyValue` (`name` is usually the organization) or
/// a bare string or number.
#[derive(Debug, Clone, PartialEq)]
pub struct Identifier {
    pub name: Option<String>,
    pub value: String,
}

/// One `jobLocation` entry.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Location {
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub address: Address,
}

/// The stated address, as free text from the feed (trimmed, never empty).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Address {
    pub country: Option<String>,
    pub region: Option<String>,
    pub locality: Option<String>,
    pub postal_code: Option<String>,
}

impl Address {
    pub fn is_empty(&self) -> bool {
        self.country.is_none()
            && self.region.is_none()
            && self.locality.is_none()
            && self.postal_code.is_none()
    }
}

impl Location {
    /// The point, when both coordinates are present.
    pub fn point(&self) -> Option<(f64, f64)> {
        Some((self.latitude?, self.longitude?))
    }
}

impl<'a> PostingView<'a> {
    pub(crate) fn from_fields(raw: &'a str, f: &RawFields<'a>) -> Self {
        let title = f
            .title
            .and_then(lenient::raw_string)
            .or_else(|| f.name.and_then(lenient::raw_string));
        PostingView {
            raw,
            title,
            description: f.description.and_then(lenient::raw_string),
            identifier: f.identifier.and_then(identifier),
            organization: f.hiring_organization.and_then(organization),
            date_posted: f.date_posted.and_then(lenient::raw_string),
            valid_through: f.valid_through.and_then(lenient::raw_string),
            employment_type: f.employment_type,
            job_location_type: f.job_location_type,
            applicant_location_requirements: f.applicant_location_requirements,
            education_requirements: f.education_requirements,
            experience_requirements: f.experience_requirements,
            experience_in_place_of_education: f.experience_in_place_of_education,
            qualifications: f.qualifications,
            occupational_category: f.occupational_category,
            locations: f.job_location.map(locations).unwrap_or_default(),
            base_salary: f.base_salary.filter(|r| r.get() != "null"),
            estimated_salary: f.estimated_salary.filter(|r| r.get() != "null"),
            salary_currency: f.salary_currency.and_then(lenient::raw_string),
        }
    }

    /// The stated country of the first location that states one.
    pub fn stated_country(&self) -> Option<&str> {
        self.locations
            .iter()
            .find_map(|l| l.address.country.as_deref())
    }
}

// The readers below take the raw values as serde_json's `Value` readers
// of `lenient` would take them parsed (null is absent, strings trimmed,
// arrays searched), without building the tree: the tests below check them
// against those readers over every shape.

fn identifier(v: &RawValue) -> Option<Identifier> {
    match v.get().as_bytes().first()? {
        b'{' => {
            let o = RawObject::of(v)?;
            Some(Identifier {
                name: o.get("name").and_then(raw_text).map(Cow::into_owned),
                value: o.get("value").and_then(raw_string_or_number)?.into_owned(),
            })
        }
        b'[' => items(v)?.into_iter().find_map(identifier),
        _ => Some(Identifier {
            name: None,
            value: raw_string_or_number(v)?.into_owned(),
        }),
    }
}

fn organization(v: &RawValue) -> Option<String> {
    match v.get().as_bytes().first()? {
        b'{' => RawObject::of(v)?
            .get("name")
            .and_then(raw_text)
            .map(Cow::into_owned),
        b'[' => items(v)?.into_iter().find_map(organization),
        _ => raw_text(v).map(Cow::into_owned),
    }
}

/// `jobLocation`: a `Place`, an array of them, or (in some feeds) the
/// `PostalAddress` itself without a `Place` around it.
fn locations(v: &RawValue) -> Vec<Location> {
    match items(v) {
        Some(places) => places.into_iter().filter_map(location).collect(),
        None => location(v).into_iter().collect(),
    }
}

fn location(place: &RawValue) -> Option<Location> {
    let place = RawObject::of(place)?;
    let geo = place.get("geo").and_then(RawObject::of);
    let coordinate = |key: &str| {
        place
            .get(key)
            .or_else(|| geo.as_ref().and_then(|g| g.get(key)))
            .and_then(raw_number)
    };
    let address = match place.get("address") {
        Some(a) => address(a),
        None if place.get("addressCountry").is_some() || place.get("addressLocality").is_some() => {
            address_fields(&place)
        }
        None => Address::default(),
    };
    let loc = Location {
        latitude: coordinate("latitude"),
        longitude: coordinate("longitude"),
        address,
    };
    (loc.point().is_some() || !loc.address.is_empty()).then_some(loc)
}

fn address(a: &RawValue) -> Address {
    if let Some(text) = raw_text(a) {
        // A one-line address: keep it as the locality, the most useful guess.
        return Address {
            locality: Some(text.into_owned()),
            ..Address::default()
        };
    }
    RawObject::of(a).map_or_else(Address::default, |o| address_fields(&o))
}

fn address_fields(a: &RawObject<'_>) -> Address {
    let field = |key: &str| {
        let v = a.get(key)?;
        match RawObject::of(v) {
            // `addressCountry` may be a `Country` object with a name.
            Some(country) => country.get("name").and_then(raw_string_or_number),
            None => raw_string_or_number(v),
        }
        .map(Cow::into_owned)
    };
    Address {
        country: field("addressCountry"),
        region: field("addressRegion"),
        locality: field("addressLocality"),
        postal_code: field("postalCode"),
    }
}

#[cfg(test)]
mod tests {
    //! The raw readers against the `serde_json::Value` readers they
    //! replaced (kept here as the reference), over random values of every
    //! shape feeds send: nulls, numbers as text, arrays, nested objects,
    //! duplicate keys, escapes.

    use super::*;
    use crate::test_random::Lcg;
    use serde_json::Value;

    fn identifier_ref(v: &Value) -> Option<Identifier> {
        match v {
            Value::Object(_) => Some(Identifier {
                name: lenient::get(v, "name")
                    .and_then(lenient::string)
                    .map(str::to_string),
                value: lenient::get(v, "value")
                    .and_then(lenient::string_or_number)?
                    .into_owned(),
            }),
            Value::Array(items) => items.iter().find_map(identifier_ref),
            other => Some(Identifier {
                name: None,
                value: lenient::string_or_number(other)?.into_owned(),
            }),
        }
    }

    fn organization_ref(v: &Value) -> Option<String> {
        match v {
            Value::Object(_) => lenient::get(v, "name")
                .and_then(lenient::string)
                .map(str::to_string),
            Value::Array(items) => items.iter().find_map(organization_ref),
            other => lenient::string(other).map(str::to_string),
        }
    }

    fn locations_ref(v: &Value) -> Vec<Location> {
        match v {
            Value::Array(items) => items.iter().filter_map(location_ref).collect(),
            other => location_ref(other).into_iter().collect(),
        }
    }

    fn location_ref(place: &Value) -> Option<Location> {
        if !place.is_object() {
            return None;
        }
        let geo = lenient::get(place, "geo");
        let coordinate = |key: &str| {
            lenient::get(place, key)
                .or_else(|| geo.and_then(|g| lenient::get(g, key)))
                .and_then(lenient::number)
        };
        let address = match lenient::get(place, "address") {
            Some(a) => address_ref(a),
            None if lenient::get(place, "addressCountry").is_some()
                || lenient::get(place, "addressLocality").is_some() =>
            {
                address_ref(place)
            }
            None => Address::default(),
        };
        let loc = Location {
            latitude: coordinate("latitude"),
            longitude: coordinate("longitude"),
            address,
        };
        (loc.point().is_some() || !loc.address.is_empty()).then_some(loc)
    }

    fn address_ref(a: &Value) -> Address {
        if let Some(text) = lenient::string(a) {
            return Address {
                locality: Some(text.to_string()),
                ..Address::default()
            };
        }
        let field = |key: &str| {
            lenient::get(a, key)
                .and_then(|v| match v {
                    Value::Object(_) => lenient::get(v, "name").and_then(lenient::string_or_number),
                    other => lenient::string_or_number(other),
                })
                .map(Cow::into_owned)
        };
        Address {
            country: field("addressCountry"),
            region: field("addressRegion"),
            locality: field("addressLocality"),
            postal_code: field("postalCode"),
        }
    }

    const KEYS: [&str; 12] = [
        "name",
        "value",
        "geo",
        "latitude",
        "longitude",
        "address",
        "addressCountry",
        "addressLocality",
        "addressRegion",
        "postalCode",
        "@type",
        "na\\u006De",
    ];
    const SCALARS: [&str; 18] = [
        "null",
        "true",
        "false",
        "0",
        "-77.04362",
        "38.8",
        "1e5",
        "22336",
        "7.50",
        "\"\"",
        "\"  \"",
        "\" US \"",
        "\"Alexandria\"",
        "\"Caf\\u00e9 \\\"x\\\"\"",
        "\"38.804665\"",
        "\"$100,000\"",
        "\"7-20\"",
        "\"100k\"",
    ];

    fn pick<'a>(rng: &mut Lcg, from: &[&'a str]) -> &'a str {
        from[(rng.next_u64() >> 33) as usize % from.len()]
    }

    /// A random JSON value, at most `depth` levels of nesting.
    fn value(rng: &mut Lcg, depth: u32) -> String {
        match (rng.next_u64() >> 60, depth) {
            (0..=5, _) | (_, 0) => pick(rng, &SCALARS).to_string(),
            (6..=8, _) => {
                let n = (rng.next_u64() >> 62) as usize;
                let items: Vec<String> = (0..n).map(|_| value(rng, depth - 1)).collect();
                format!("[{}]", items.join(", "))
            }
            _ => {
                let n = (rng.next_u64() >> 61) as usize;
                let entries: Vec<String> = (0..n)
                    .map(|_| format!("\"{}\": {}", pick(rng, &KEYS), value(rng, depth - 1)))
                    .collect();
                format!("{{{}}}", entries.join(", "))
            }
        }
    }

    #[test]
    fn the_raw_readers_read_every_shape_as_the_value_readers_did() {
        let mut rng = Lcg::new(2207);
        let (mut located, mut named) = (0, 0);
        for _ in 0..40_000 {
            let text = value(&mut rng, 3);
            let raw: Box<RawValue> = serde_json::from_str(&text).expect(&text);
            let parsed: Value = serde_json::from_str(&text).expect(&text);
            // The old readers saw null as an absent field.
            let present = (!parsed.is_null()).then_some(&parsed);
            assert_eq!(
                identifier(&raw),
                present.and_then(identifier_ref),
                "identifier {text}"
            );
            assert_eq!(
                organization(&raw),
                present.and_then(organization_ref),
                "organization {text}"
            );
            let places = locations(&raw);
            assert_eq!(
                places,
                present.map(locations_ref).unwrap_or_default(),
                "locations {text}"
            );
            located += usize::from(!places.is_empty());
            named += usize::from(organization(&raw).is_some());
        }
        // The shapes reached every branch, not only the empty ones.
        assert!(located > 2_000 && named > 2_000, "{located} {named}");
    }
}

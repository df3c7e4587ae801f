//! The posting as the enrichers see it: the few fields they read, already
//! made tolerant of the shapes real feeds send. Strings borrow from the input
//! where JSON escaping allows.

use std::borrow::Cow;

use serde_json::Value;
use serde_json::value::RawValue;

use super::fields::RawFields;
use super::lenient;

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
            identifier: f
                .identifier
                .and_then(parse_small)
                .and_then(|v| identifier(&v)),
            organization: f
                .hiring_organization
                .and_then(parse_small)
                .and_then(|v| organization(&v)),
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
            locations: f
                .job_location
                .and_then(parse_small)
                .map(|v| locations(&v))
                .unwrap_or_default(),
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

/// Parses a (small) raw sub-value; a value that does not parse is absent.
fn parse_small(raw: &RawValue) -> Option<Value> {
    serde_json::from_str::<Value>(raw.get())
        .ok()
        .filter(|v| !v.is_null())
}

fn identifier(v: &Value) -> Option<Identifier> {
    match v {
        Value::Object(_) => Some(Identifier {
            name: lenient::get(v, "name")
                .and_then(lenient::string)
                .map(str::to_string),
            value: lenient::get(v, "value")
                .and_then(lenient::string_or_number)?
                .into_owned(),
        }),
        Value::Array(items) => items.iter().find_map(identifier),
        other => Some(Identifier {
            name: None,
            value: lenient::string_or_number(other)?.into_owned(),
        }),
    }
}

fn organization(v: &Value) -> Option<String> {
    match v {
        Value::Object(_) => lenient::get(v, "name")
            .and_then(lenient::string)
            .map(str::to_string),
        Value::Array(items) => items.iter().find_map(organization),
        other => lenient::string(other).map(str::to_string),
    }
}

/// `jobLocation`: a `Place`, an array of them, or (in some feeds) the
/// `PostalAddress` itself without a `Place` around it.
fn locations(v: &Value) -> Vec<Location> {
    match v {
        Value::Array(items) => items.iter().filter_map(location).collect(),
        other => location(other).into_iter().collect(),
    }
}

fn location(place: &Value) -> Option<Location> {
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
        Some(a) => address(a),
        None if lenient::get(place, "addressCountry").is_some()
            || lenient::get(place, "addressLocality").is_some() =>
        {
            address(place)
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

fn address(a: &Value) -> Address {
    if let Some(text) = lenient::string(a) {
        // A one-line address: keep it as the locality, the most useful guess.
        return Address {
            locality: Some(text.to_string()),
            ..Address::default()
        };
    }
    let field = |key: &str| {
        lenient::get(a, key)
            .and_then(|v| match v {
                // `addressCountry` may be a `Country` object with a name.
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

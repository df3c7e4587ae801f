//! One pass over a posting object that keeps the fields the enrichers read
//! as borrowed raw JSON and skips everything else without building it.
//!
//! A hand-written visitor rather than `#[derive(Deserialize)]`: real feeds
//! repeat keys (the last one wins here instead of failing), and no key or
//! value is allocated for fields nobody reads.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::value::RawValue;

/// The fields of a JSON-LD object that decoding and enrichment look at.
#[derive(Debug, Default)]
pub struct RawFields<'a> {
    pub type_: Option<&'a RawValue>,
    pub graph: Option<&'a RawValue>,
    pub title: Option<&'a RawValue>,
    pub name: Option<&'a RawValue>,
    pub description: Option<&'a RawValue>,
    pub identifier: Option<&'a RawValue>,
    pub hiring_organization: Option<&'a RawValue>,
    pub job_location: Option<&'a RawValue>,
    pub base_salary: Option<&'a RawValue>,
    pub estimated_salary: Option<&'a RawValue>,
    pub salary_currency: Option<&'a RawValue>,
    pub date_posted: Option<&'a RawValue>,
    pub valid_through: Option<&'a RawValue>,
    pub employment_type: Option<&'a RawValue>,
    pub job_location_type: Option<&'a RawValue>,
    pub applicant_location_requirements: Option<&'a RawValue>,
    pub education_requirements: Option<&'a RawValue>,
    pub experience_requirements: Option<&'a RawValue>,
    pub experience_in_place_of_education: Option<&'a RawValue>,
    pub qualifications: Option<&'a RawValue>,
    pub occupational_category: Option<&'a RawValue>,
    /// Keys other than `@context`/`@id`/`@type`/`@graph`: does the object
    /// say anything at all?
    pub property_count: usize,
    /// Whether any schema.org JobPosting property we know appears.
    pub has_posting_property: bool,
}

#[derive(Clone, Copy)]
enum Key {
    Type,
    Graph,
    JsonLdKeyword,
    Title,
    Name,
    Description,
    Identifier,
    HiringOrganization,
    JobLocation,
    BaseSalary,
    EstimatedSalary,
    SalaryCurrency,
    DatePosted,
    ValidThrough,
    EmploymentType,
    JobLocationType,
    ApplicantLocationRequirements,
    EducationRequirements,
    ExperienceRequirements,
    ExperienceInPlaceOfEducation,
    Qualifications,
    OccupationalCategory,
    /// A JobPosting property we do not read but that marks a posting.
    OtherPostingProperty,
    Other,
}

/// schema.org JobPosting properties that are not read but still mark an
/// object as a posting (so `{"@type": "JobPosting", "skills": "..."}` is
/// one, and `{"foo": 1}` is not).
const OTHER_POSTING_PROPERTIES: &[&str] = &[
    "applicationContact",
    "directApply",
    "eligibilityToWorkRequirement",
    "employerOverview",
    "employmentUnit",
    "incentiveCompensation",
    "industry",
    "jobBenefits",
    "jobImmediateStart",
    "jobStartDate",
    "physicalRequirement",
    "relevantOccupation",
    "responsibilities",
    "securityClearanceRequirement",
    "sensoryRequirement",
    "skills",
    "specialCommitments",
    "totalJobOpenings",
    "workHours",
];

fn classify(key: &str) -> Key {
    match key {
        "@type" => Key::Type,
        "@graph" => Key::Graph,
        "@context" | "@id" => Key::JsonLdKeyword,
        "title" => Key::Title,
        "name" => Key::Name,
        "description" => Key::Description,
        "identifier" => Key::Identifier,
        "hiringOrganization" => Key::HiringOrganization,
        "jobLocation" => Key::JobLocation,
        "baseSalary" => Key::BaseSalary,
        "estimatedSalary" => Key::EstimatedSalary,
        "salaryCurrency" => Key::SalaryCurrency,
        "datePosted" => Key::DatePosted,
        "validThrough" => Key::ValidThrough,
        "employmentType" => Key::EmploymentType,
        "jobLocationType" => Key::JobLocationType,
        "applicantLocationRequirements" => Key::ApplicantLocationRequirements,
        "educationRequirements" => Key::EducationRequirements,
        "experienceRequirements" => Key::ExperienceRequirements,
        "experienceInPlaceOfEducation" => Key::ExperienceInPlaceOfEducation,
        "qualifications" => Key::Qualifications,
        "occupationalCategory" => Key::OccupationalCategory,
        k if OTHER_POSTING_PROPERTIES.contains(&k) => Key::OtherPostingProperty,
        _ => Key::Other,
    }
}

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = Key;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object key")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key, E> {
                Ok(classify(v))
            }
        }
        d.deserialize_identifier(KeyVisitor)
    }
}

impl<'de> Deserialize<'de> for RawFields<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct FieldsVisitor;
        impl<'de> Visitor<'de> for FieldsVisitor {
            type Value = RawFields<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Self::Value, M::Error> {
                let mut fields = RawFields::default();
                while let Some(key) = map.next_key::<Key>()? {
                    let slot = match key {
                        Key::Type => &mut fields.type_,
                        Key::Graph => &mut fields.graph,
                        Key::Title => &mut fields.title,
                        Key::Name => &mut fields.name,
                        Key::Description => &mut fields.description,
                        Key::Identifier => &mut fields.identifier,
                        Key::HiringOrganization => &mut fields.hiring_organization,
                        Key::JobLocation => &mut fields.job_location,
                        Key::BaseSalary => &mut fields.base_salary,
                        Key::EstimatedSalary => &mut fields.estimated_salary,
                        Key::SalaryCurrency => &mut fields.salary_currency,
                        Key::DatePosted => &mut fields.date_posted,
                        Key::ValidThrough => &mut fields.valid_through,
                        Key::EmploymentType => &mut fields.employment_type,
                        Key::JobLocationType => &mut fields.job_location_type,
                        Key::ApplicantLocationRequirements => {
                            &mut fields.applicant_location_requirements
                        }
                        Key::EducationRequirements => &mut fields.education_requirements,
                        Key::ExperienceRequirements => &mut fields.experience_requirements,
                        Key::ExperienceInPlaceOfEducation => {
                            &mut fields.experience_in_place_of_education
                        }
                        Key::Qualifications => &mut fields.qualifications,
                        Key::OccupationalCategory => &mut fields.occupational_category,
                        Key::JsonLdKeyword => {
                            map.next_value::<IgnoredAny>()?;
                            continue;
                        }
                        Key::OtherPostingProperty | Key::Other => {
                            fields.property_count += 1;
                            fields.has_posting_property |= matches!(key, Key::OtherPostingProperty);
                            map.next_value::<IgnoredAny>()?;
                            continue;
                        }
                    };
                    if !matches!(key, Key::Type | Key::Graph) {
                        fields.property_count += 1;
                        fields.has_posting_property = true;
                    }
                    *slot = Some(map.next_value::<&'de RawValue>()?);
                }
                Ok(fields)
            }
        }
        d.deserialize_map(FieldsVisitor)
    }
}

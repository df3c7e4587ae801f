//! Reference data the enrichers need at run time: country and subdivision
//! codes and names, subdivision boundaries, populated places, time zones.
//! Embedded in the binary (no files to ship or find), parsed once at start
//! into immutable indexes, and shared by every thread (`Arc`).
//!
//! Provenance and licences: `data/README.md`.

pub mod admin1;
pub mod countries;
mod data_error;
pub mod ecb;
pub mod money;
mod pages;
mod place_grid;
pub mod places;
pub mod text;
pub mod versions;

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use country_boundaries::{BOUNDARIES_ODBL_360X180, CountryBoundaries};

pub use admin1::{Admin1Index, Area};
pub use countries::{Countries, Country};
pub use data_error::DataError;
pub use places::{Place, PlaceIndex};

// Statics, not consts: one copy each, whose pages `pages::release` hands back.
static ADMIN1_PACKED: &[u8] = include_bytes!("../../data/geo/admin1.bin");
static PLACES_GZ: &[u8] = include_bytes!("../../data/geo/places.tsv.gz");
static ISO3166_1: &str = include_str!("../../data/iso3166-1.tsv");
static ISO3166_2: &str = include_str!("../../data/iso3166-2.tsv");

/// Everything geo enrichment looks up.
pub struct GeoData {
    pub countries: Countries,
    pub boundaries: CountryBoundaries,
    pub admin1: Admin1Index,
    pub places: PlaceIndex,
    pub timezones: tzf_rs::DefaultFinder,
    /// How long loading took.
    pub load_time: Duration,
}

impl std::fmt::Debug for GeoData {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GeoData")
            .field("areas", &self.admin1.len())
            .field("places", &self.places.len())
            .field("load_time", &self.load_time)
            .finish_non_exhaustive()
    }
}

impl GeoData {
    /// Parses the embedded data (about 0.35 s on two cores; call once,
    /// share the result).
    pub fn load() -> Result<GeoData, DataError> {
        let started = Instant::now();
        // Two halves for two cores: the places (text parse, grid) on one
        // thread, everything else on this one.
        let (places, others) = std::thread::scope(|s| {
            let places = s.spawn(|| PlaceIndex::from_gzip_tsv(PLACES_GZ));
            let others = (|| {
                let admin1 = Admin1Index::from_packed(ADMIN1_PACKED)?;
                let countries = Countries::from_tsv(ISO3166_1, ISO3166_2)?;
                let boundaries = CountryBoundaries::from_reader(BOUNDARIES_ODBL_360X180)
                    .map_err(|e| DataError::new("country boundaries", e))?;
                let tz = tzf_rs::DefaultFinder::new();
                Ok::<_, DataError>((admin1, countries, boundaries, tz))
            })();
            let places = places
                .join()
                .map_err(|_| DataError::new("places", "loader thread panicked"));
            (places, others)
        });
        let (admin1, countries, boundaries, timezones) = others?;
        // Parsed into the indexes: the embedded bytes are not read again.
        // (The time zones are queried in place and keep theirs.)
        for bytes in [
            ADMIN1_PACKED,
            PLACES_GZ,
            BOUNDARIES_ODBL_360X180,
            ISO3166_1.as_bytes(),
            ISO3166_2.as_bytes(),
        ] {
            pages::release(bytes);
        }
        Ok(GeoData {
            countries,
            boundaries,
            admin1,
            places: places??,
            timezones,
            load_time: started.elapsed(),
        })
    }

    /// The process-wide instance, loaded on first use.
    pub fn shared() -> Result<Arc<GeoData>, Arc<DataError>> {
        static SHARED: OnceLock<Result<Arc<GeoData>, Arc<DataError>>> = OnceLock::new();
        SHARED
            .get_or_init(|| GeoData::load().map(Arc::new).map_err(Arc::new))
            .clone()
    }
}

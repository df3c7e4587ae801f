// Records the compiler version for the `build_info` metric, and the
// content hash of each embedded reference data set for the records'
// `enricher.reference` (src/reference/versions.rs).
use sha2::{Digest, Sha256};

/// Each embedded data set and the files it is made of (in this order).
const EMBEDDED: &[(&str, &[&str])] = &[
    ("FX_RATES", &["config/fx-rates.toml"]),
    ("SKILLS", &["data/skills.tsv"]),
    ("GEO", &["data/geo/admin1.bin", "data/geo/places.tsv.gz"]),
    (
        "OCCUPATION",
        &[
            "data/occupation/esco-occupations.tsv",
            "data/occupation/isco08-groups.tsv",
            "data/occupation/titles.tsv",
            "data/occupation/title-words.tsv",
        ],
    ),
    (
        "CODES",
        &[
            "data/iso3166-1.tsv",
            "data/iso3166-2.tsv",
            "data/iso3166-2-first-level.tsv",
            "data/iso4217.tsv",
            "data/country-currencies.tsv",
        ],
    ),
];

fn main() {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let version = std::process::Command::new(rustc)
        .arg("--version")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|v| v.split_whitespace().nth(1).map(str::to_string))
        .unwrap_or_else(|| "unknown".into());
    println!("cargo:rustc-env=POSTING_ENRICHER_RUSTC={version}");
    println!("cargo:rerun-if-changed=build.rs");
    for (name, files) in EMBEDDED {
        let mut hash = Sha256::new();
        for file in *files {
            println!("cargo:rerun-if-changed={file}");
            // Missing only in the image's dependency layer (Dockerfile),
            // which builds a placeholder crate; the next build has them.
            if let Ok(bytes) = std::fs::read(file) {
                hash.update(&bytes);
            }
        }
        let hex: String = hash.finalize().iter().map(|b| format!("{b:02x}")).collect();
        println!("cargo:rustc-env=POSTING_ENRICHER_SHA256_{name}={hex}");
    }
}

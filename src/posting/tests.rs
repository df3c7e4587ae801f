use super::*;

fn opts() -> DecodeOptions {
    DecodeOptions::default()
}

fn decode_with(bytes: &[u8], opts: &DecodeOptions) -> Result<String, Rejection> {
    decode_owned(bytes, opts)
}

fn reason(bytes: &[u8]) -> RejectReason {
    decode_with(bytes, &opts()).unwrap_err().reason
}

fn with_view<T>(json: &str, f: impl FnOnce(&PostingView<'_>) -> T) -> T {
    let doc = locate(json.as_bytes(), &opts()).unwrap();
    let view = parse(&doc).unwrap();
    f(&view)
}

#[test]
fn rejections_have_their_reasons() {
    assert_eq!(reason(b""), RejectReason::Empty);
    assert_eq!(reason(b"  \r\n "), RejectReason::Empty);
    assert_eq!(reason(b"{}"), RejectReason::NoPostingFields);
    assert_eq!(
        reason(br#"{"@context":"http://schema.org"}"#),
        RejectReason::NoPostingFields
    );
    assert_eq!(
        reason(br#"{"@type":"JobPosting"}"#),
        RejectReason::NoPostingFields
    );
    assert_eq!(
        reason(br#"{"foo":1,"bar":[1,2]}"#),
        RejectReason::NoPostingFields
    );
    assert_eq!(
        reason(br#"{"@type":"Organization","name":"Acme"}"#),
        RejectReason::NotAPosting
    );
    assert_eq!(reason(b"[1,2,3]"), RejectReason::NotAPosting);
    assert_eq!(reason(b"42"), RejectReason::NotAPosting);
    assert_eq!(reason(b"\"a string\""), RejectReason::NotAPosting);
    assert_eq!(reason(b"null"), RejectReason::NotAPosting);
    assert_eq!(reason(br#"{"title": "x""#), RejectReason::InvalidJson);
    assert_eq!(
        reason(br#"{"title": "x"} trailing"#),
        RejectReason::InvalidJson
    );
    assert_eq!(reason(b"not json"), RejectReason::InvalidJson);
    assert_eq!(
        reason(b"{\"title\": \"\xff\xfe\"}"),
        RejectReason::InvalidUtf8
    );
}

#[test]
fn invalid_utf8_detail_names_the_offset() {
    let r = decode_with(b"{\"title\": \"ok\xc3\x28\"}", &opts()).unwrap_err();
    assert_eq!(r.reason, RejectReason::InvalidUtf8);
    assert!(r.detail.contains("byte 13"), "{}", r.detail);
}

#[test]
fn invalid_json_detail_names_the_offset() {
    let r = decode_with(br#"{"title": "x", oops}"#, &opts()).unwrap_err();
    assert!(r.detail.contains("at byte 15"), "{}", r.detail);
}

#[test]
fn too_large_is_checked_before_parsing() {
    let small = DecodeOptions {
        max_record_bytes: 10,
        ..opts()
    };
    let r = decode_with(br#"{"@type":"JobPosting","title":"x"}"#, &small).unwrap_err();
    assert_eq!(r.reason, RejectReason::TooLarge);
    assert!(r.detail.contains("max_record_bytes"));
}

#[test]
fn deep_nesting_is_rejected_not_a_crash() {
    let deep = "[".repeat(100_000) + &"]".repeat(100_000);
    assert_eq!(reason(deep.as_bytes()), RejectReason::TooDeep);
    let deep_in_field = format!(
        r#"{{"@type":"JobPosting","title":"x","extra":{}{}}}"#,
        "[".repeat(50_000),
        "]".repeat(50_000)
    );
    assert_eq!(reason(deep_in_field.as_bytes()), RejectReason::TooDeep);
    // Truncated deep input is still caught, and 64 levels are fine.
    assert_eq!(
        reason("{\"a\":".repeat(1000).as_bytes()),
        RejectReason::TooDeep
    );
    let ok = format!(
        r#"{{"@type":"JobPosting","title":"x","e":{}{}}}"#,
        "[".repeat(60),
        "]".repeat(60)
    );
    assert!(decode_with(ok.as_bytes(), &opts()).is_ok());
}

#[test]
fn type_in_any_case_and_form() {
    for t in [
        r#""JobPosting""#,
        r#""jobPosting""#,
        r#""JOBPOSTING""#,
        r#""schema:JobPosting""#,
        r#""http://schema.org/JobPosting""#,
        r#"["Thing","JobPosting"]"#,
    ] {
        let json = format!(r#"{{"@type":{t},"title":"x"}}"#);
        assert!(decode_with(json.as_bytes(), &opts()).is_ok(), "{t}");
    }
}

#[test]
fn no_type_but_posting_fields_is_accepted() {
    assert!(decode_with(br#"{"title":"Nurse","description":"Care."}"#, &opts()).is_ok());
}

#[test]
fn schemaorg_examples_with_rare_properties_are_postings() {
    assert!(
        decode_with(
            br#"{"@type":"JobPosting","sensoryRequirement":"x"}"#,
            &opts()
        )
        .is_ok()
    );
}

#[test]
fn name_instead_of_title() {
    with_view(r#"{"@type":"JobPosting","name":"Nurse"}"#, |v| {
        assert_eq!(v.title.as_deref(), Some("Nurse"));
    });
}

#[test]
fn graph_wrapper() {
    let json = r#"{"@context":"https://schema.org","@graph":[{"@type":"WebPage","name":"p"},{"@type":"JobPosting","title":"Nurse"}]}"#;
    with_view(json, |v| {
        assert_eq!(v.title.as_deref(), Some("Nurse"));
        assert_eq!(v.raw, r#"{"@type":"JobPosting","title":"Nurse"}"#);
    });
    assert_eq!(
        reason(br#"{"@graph":[{"@type":"WebPage","name":"p"}]}"#),
        RejectReason::NotAPosting
    );
}

#[test]
fn array_of_objects() {
    with_view(
        r#"[{"@type":"BreadcrumbList"},{"@type":"JobPosting","title":"Nurse"}]"#,
        |v| {
            assert_eq!(v.title.as_deref(), Some("Nurse"));
        },
    );
}

#[test]
fn locations_every_shape() {
    // A Place with numbers, a Place with strings under geo, the address alone.
    let json = r#"{"@type":"JobPosting","title":"x","jobLocation":[
        {"@type":"Place","address":{"addressCountry":"US","addressRegion":"CA","addressLocality":"Palo Alto","postalCode":94310},"latitude":37.4,"longitude":-122.1},
        {"@type":"Place","geo":{"@type":"GeoCoordinates","latitude":"48.85","longitude":" 2.35 "},"address":{"addressCountry":{"@type":"Country","name":"FR"}}},
        {"@type":"PostalAddress","addressLocality":"Sheakleyville","addressRegion":"PA","addressCountry":"United States"},
        null, "garbage"
    ]}"#;
    with_view(json, |v| {
        assert_eq!(v.locations.len(), 3);
        assert_eq!(v.locations[0].point(), Some((37.4, -122.1)));
        assert_eq!(v.locations[0].address.postal_code.as_deref(), Some("94310"));
        assert_eq!(v.locations[1].point(), Some((48.85, 2.35)));
        assert_eq!(v.locations[1].address.country.as_deref(), Some("FR"));
        assert_eq!(v.locations[2].point(), None);
        assert_eq!(
            v.locations[2].address.locality.as_deref(),
            Some("Sheakleyville")
        );
    });
    with_view(
        r#"{"@type":"JobPosting","title":"x","jobLocation":null}"#,
        |v| {
            assert!(v.locations.is_empty());
        },
    );
}

#[test]
fn nulls_anywhere() {
    let json = r#"{"@type":"JobPosting","title":null,"name":"n","description":null,"identifier":{"value":null},"hiringOrganization":null,"jobLocation":{"address":null,"latitude":null},"baseSalary":null,"datePosted":null}"#;
    with_view(json, |v| {
        assert_eq!(v.title.as_deref(), Some("n"));
        assert!(v.description.is_none() && v.identifier.is_none() && v.organization.is_none());
        assert!(v.locations.is_empty() && v.base_salary.is_none());
    });
}

#[test]
fn unicode_escapes_are_decoded() {
    with_view(
        r#"{"@type":"JobPosting","title":"Caf\u00e9 \ud83d\ude00"}"#,
        |v| {
            assert_eq!(v.title.as_deref(), Some("Café 😀"));
        },
    );
}

#[test]
fn duplicate_keys_last_wins() {
    with_view(r#"{"@type":"JobPosting","title":"a","title":"b"}"#, |v| {
        assert_eq!(v.title.as_deref(), Some("b"));
    });
}

#[test]
fn bom_and_whitespace_are_ignored() {
    let v = decode_with(
        b"\xEF\xBB\xBF  {\"@type\":\"JobPosting\",\"title\":\"x\"}\r\n",
        &opts(),
    )
    .unwrap();
    assert_eq!(v, r#"{"@type":"JobPosting","title":"x"}"#);
}

#[test]
fn envelope_pointer() {
    let env = DecodeOptions {
        envelope_pointer: Some("/payload".into()),
        ..opts()
    };
    let posting = r#"{"@type":"JobPosting","title":"x"}"#;
    let wrapped = format!(r#"{{"meta":{{"source":"crawler"}},"payload":{posting}}}"#);
    assert_eq!(decode_with(wrapped.as_bytes(), &env).unwrap(), posting);
    // Double-encoded: the posting as a JSON string.
    let encoded = serde_json::to_string(posting).unwrap();
    let wrapped = format!(r#"{{"payload":{encoded}}}"#);
    assert_eq!(decode_with(wrapped.as_bytes(), &env).unwrap(), posting);
    // Nested and through arrays, with ~1 escaping.
    let deep = DecodeOptions {
        envelope_pointer: Some("/data/items/0/a~1b".into()),
        ..opts()
    };
    let wrapped = format!(r#"{{"data":{{"items":[{{"a/b":{posting}}}]}}}}"#);
    assert_eq!(decode_with(wrapped.as_bytes(), &deep).unwrap(), posting);
    let r = decode_with(br#"{"other":1}"#, &env).unwrap_err();
    assert_eq!(r.reason, RejectReason::EnvelopeMissing);
    assert!(r.detail.contains("payload"));
    assert_eq!(
        decode_with(br#"{"payload":null}"#, &env)
            .unwrap_err()
            .reason,
        RejectReason::EnvelopeMissing
    );
    assert_eq!(
        decode_with(b"[]", &env).unwrap_err().reason,
        RejectReason::EnvelopeMissing
    );
}

#[test]
fn identifier_shapes() {
    with_view(
        r#"{"@type":"JobPosting","title":"x","identifier":{"@type":"PropertyValue","name":"Tesla","value":"99253"}}"#,
        |v| {
            assert_eq!(
                v.identifier,
                Some(Identifier {
                    name: Some("Tesla".into()),
                    value: "99253".into()
                })
            );
        },
    );
    with_view(
        r#"{"@type":"JobPosting","title":"x","identifier":17698}"#,
        |v| {
            assert_eq!(
                v.identifier.as_ref().map(|i| i.value.as_str()),
                Some("17698")
            );
        },
    );
}

use unicode_normalization::{IsNormalized, is_nfc_quick};

use super::entities::*;
use super::escaped_markup::*;
use super::html_repair::*;
use super::line_writer::*;
use super::tag_scanner::*;
use super::*;

#[test]
fn characters_below_u0300_are_nfc_and_start_a_sequence() {
    use unicode_normalization::char::canonical_combining_class;
    for c in ('\0'..NFC_BELOW).filter(|c| !c.is_ascii()) {
        assert_eq!(canonical_combining_class(c), 0, "{c:?}");
        assert_eq!(is_nfc_quick(std::iter::once(c)), IsNormalized::Yes, "{c:?}");
    }
}

#[test]
fn nfc_check_by_runs_agrees_with_the_whole_text_check() {
    let pieces = [
        "a",
        " ",
        "é",
        "e\u{301}",
        "\u{301}",
        "\u{323}\u{301}",
        "\u{301}\u{323}",
        "’",
        "•",
        "—",
        "\u{2000}",
        "Å",
        "\u{212b}",
        "한",
        "\u{1100}\u{1161}",
        "ü",
        "\u{308}",
        "ÿ",
    ];
    let mut rng = crate::test_random::Lcg::new(3);
    for _ in 0..50_000 {
        let seed = rng.next_u64();
        let text: String = (0..(seed >> 60))
            .map(|k| pieces[((seed >> (4 * k)) as usize) % pieces.len()])
            .collect();
        let whole = text.is_ascii() || is_nfc_quick(text.chars()) == IsNormalized::Yes;
        assert_eq!(is_nfc(&text), whole, "{text:?}");
    }
}

fn texts(d: &Decoded) -> Vec<(&str, LineKind, bool)> {
    d.lines
        .iter()
        .map(|l| (l.text.as_str(), l.kind, l.emphasized))
        .collect()
}

#[test]
fn escaped_markup_read_directly_gives_the_lines_of_its_copy() {
    // Well-formed groups, text with entities at every place, and pieces
    // that must send the text the copying way.
    let plain = [
        "&lt;p&gt;Role&lt;/p&gt;",
        "&lt;ul&gt;&lt;li&gt;a &amp;amp; b&lt;/li&gt;&lt;li&gt;c&lt;/li&gt;&lt;/ul&gt;",
        "&lt;br&gt;",
        "&lt;br/&gt;",
        "&lt;BR&gt;",
        "&lt;b&gt;Requirements:&lt;/b&gt;",
        "&lt;h2&gt;Perks&lt;/h2&gt;",
        "&lt;strong&gt;&lt;u&gt;The Role&lt;br&gt;&lt;/u&gt;&lt;/strong&gt;",
        "&lt;div&gt;x&lt;/div&gt;",
        "&lt;span>y&lt;/span>",
        "&amp;",
        "&amp;amp;",
        "&amp;nbsp;",
        "&nbsp;",
        "&nbsp",
        "&amp",
        "&",
        "&lt; ",
        "&gt;",
        ">",
        "x < 5",
        "&quot;",
        "&rsquo;",
        "Role",
        "Requirements:",
        " ",
        "  ",
        "\n",
        "é",
        "• ",
        "- item",
        "\u{a0}",
        "\u{200b}",
        "&lt;p&gt;",
        "&lt;/p&gt;",
        "&lt;span class=\"ql-cursor\"&gt;x&lt;/span&gt;",
        "&lt;a href=\"x?a=1\" title='a > b'&gt;link&lt;/a&gt;",
        "&lt;p style=\"a: b\"&gt;",
        "&lt;br class='x'/&gt;",
        "&lt;img src=\"a.png\" alt=\"\"&gt;",
    ];
    let risky = [
        "&lt;a title=\"&quot;&gt;x\"&gt;",
        "&lt;a href=\"x&amp;y\"&gt;",
        "&lt;a =\"x>y\"&gt;",
        "&lt;a b=c\"d\"&gt;",
        "&lt;a b==\"x\"&gt;",
        "&lt;a b = \"x\"&gt;",
        "&lt;a b=\"x",
        "\"",
        "'",
        "&lt;p x=y=\"a>b\"&gt;c&lt;/p&gt;",
        "&lt;p=\"a>b\"&gt;c",
        "a&lt;br=\"x\"&gt;b",
        "&lt;p-x&gt;",
        "a&lt;textarea&gt;&lt;p&gt;x&lt;/p&gt;&lt;/textarea&gt;",
        "&lt;iframe&gt;&lt;p&gt;&lt;/iframe&gt;",
        "&amp;lt;b&amp;gt;",
        "&#60;b&#62;",
        "<b>",
        "&lt;a href=&quot;x&quot;&gt;",
        "&lt;a href=\"x\"&gt;",
        "&lt;/a&gt;",
        "&lt;!-- c --&gt;",
        "&lt;script&gt;x&lt;/script&gt;",
        "&lt;/br&gt;",
        "&lt;/&gt;",
        "&bogus;",
        "&lt;p",
        "&lt;li&gt;",
    ];
    let mixed: Vec<&str> = plain.iter().chain(&risky).copied().collect();
    let mut rng = crate::test_random::Lcg::new(19);
    let (mut direct, mut copied) = (0, 0);
    for round in 0..40_000 {
        let count = (rng.next_u64() >> 59) as usize;
        let pieces: &[&str] = if round % 2 == 0 { &plain } else { &mixed };
        let raw = rng.text(pieces, count);
        match escaped_markup_lines(&raw) {
            Some(lines) => {
                direct += 1;
                assert_eq!(lines, unescaped_lines(&raw), "{raw:?}");
            }
            None => copied += 1,
        }
    }
    assert!(direct > 4_000 && copied > 4_000, "{direct} {copied}");
}

/// Tags with attributes, quotes where a tokenizer takes them as values
/// and where it does not, and names it reads otherwise than the
/// scanner: whatever the fast reader and the scanner accept, they read
/// as html5ever reads the unescaped copy (the rest goes to html5ever).
#[test]
fn tags_are_read_as_the_parser_reads_them() {
    let pieces = [
        "&lt;p&gt;Role&lt;/p&gt;",
        "&lt;ul&gt;&lt;li&gt;a&lt;/li&gt;&lt;li&gt;c&lt;/li&gt;&lt;/ul&gt;",
        "&lt;br&gt;",
        "&lt;b&gt;Perks:&lt;/b&gt;",
        "text",
        " ",
        "&lt;span class=\"ql-cursor\"&gt;x&lt;/span&gt;",
        "&lt;a href=\"x?a=1\" title='a > b'&gt;link&lt;/a&gt;",
        "&lt;p style=\"a: b\"&gt;",
        "&lt;br class='x'/&gt;",
        "&lt;img src=\"a.png\" alt=\"\"&gt;",
        "&lt;p x=y=\"a>b\"&gt;c&lt;/p&gt;",
        "&lt;p=\"a>b\"&gt;c",
        "&lt;br=\"x\"&gt;",
        "&lt;p-x&gt;y&lt;/p-x&gt;",
        "&lt;a b = \"x>y\"&gt;",
        "&lt;a ='x>y'&gt;",
        "&lt;a b=c\"d>e\"&gt;",
        "&lt;textarea&gt;&lt;p&gt;x&lt;/p&gt;&lt;/textarea&gt;",
        "&lt;iframe&gt;&lt;p&gt;&lt;/iframe&gt;",
        "&lt;title&gt;t&lt;/title&gt;",
        "&lt;xmp&gt;&lt;b&gt;&lt;/xmp&gt;",
    ];
    let mut rng = crate::test_random::Lcg::new(37);
    let (mut direct, mut scanned) = (0, 0);
    for _ in 0..20_000 {
        let count = (rng.next_u64() >> 62) as usize + 1;
        let raw = rng.text(&pieces, count);
        // Text alone has no tags to read.
        let Ok(copy) = as_html(&raw) else { continue };
        let parsed = parsed_lines(&copy);
        if let Some(lines) = escaped_markup_lines(&raw) {
            direct += 1;
            assert_eq!(lines, parsed, "{raw:?}");
        }
        let mut w = LineWriter::default();
        if scan_tags(&copy, !has_block_markup(&copy), &mut w) == Markup::WellFormed {
            scanned += 1;
            w.flush();
            assert_eq!(w.lines, parsed, "{raw:?}");
        }
    }
    assert!(direct > 3_000 && scanned > 3_000, "{direct} {scanned}");
}

#[test]
fn escaped_html_is_unescaped_once() {
    let d = decode(
        "&lt;strong&gt;&lt;u&gt;The Role&lt;br&gt;&lt;br&gt;&lt;/u&gt;&lt;/strong&gt;Text &amp;amp; more&lt;ul&gt;&lt;li&gt;One &lt;/li&gt;&lt;li&gt;Two&lt;/li&gt;&lt;/ul&gt;",
        1 << 20,
    );
    assert_eq!(
        texts(&d),
        vec![
            ("The Role", LineKind::Text, true),
            ("Text & more", LineKind::Text, false),
            ("One", LineKind::Item, false),
            ("Two", LineKind::Item, false),
        ]
    );
}

#[test]
fn numeric_references_that_make_escaped_tags_are_unescaped_again() {
    let input = format!(
        "&lt;b&gt;x&lt;/b&gt;{}",
        "&#38;lt;p&#38;gt;y&#38;lt;/p&#38;gt;".repeat(3)
    );
    let html = as_html(&input).expect("markup");
    assert_eq!(html, "<b>x</b><p>y</p><p>y</p><p>y</p>");
}

#[test]
fn double_escaped_html() {
    let d = decode("A&amp;lt;br&amp;gt;B", 1 << 20);
    assert_eq!(d.plain_text(), "A\nB");
}

#[test]
fn plain_text_keeps_lines_and_bullets() {
    let d = decode(
        "Intro line\r\n\r\n• first\n- second\n1. third\na) fourth\n-5% is not a bullet",
        1 << 20,
    );
    assert_eq!(
        texts(&d),
        vec![
            ("Intro line", LineKind::Text, false),
            ("first", LineKind::Item, false),
            ("second", LineKind::Item, false),
            ("third", LineKind::Item, false),
            ("fourth", LineKind::Item, false),
            ("-5% is not a bullet", LineKind::Text, false),
        ]
    );
}

#[test]
fn scripts_dropped_and_whitespace_normalized() {
    let d = decode(
        "<p>a\u{200b}b\u{a0}  c</p><script>alert(1)</script><style>p{}</style><p>d</p>",
        1 << 20,
    );
    assert_eq!(d.plain_text(), "ab c\nd");
}

#[test]
fn nfc_normalized() {
    let d = decode("<p>Cafe\u{301}</p>", 1 << 20);
    assert_eq!(d.plain_text(), "Café");
}

#[test]
fn nested_lists_flatten_in_order() {
    let d = decode(
        "<ul><li>a<ul><li>a1</li><li>a2</li></ul></li><li>b</li></ul>",
        1 << 20,
    );
    let items: Vec<_> = d.lines.iter().map(|l| (l.text.as_str(), l.kind)).collect();
    assert_eq!(
        items,
        vec![
            ("a", LineKind::Item),
            ("a1", LineKind::Item),
            ("a2", LineKind::Item),
            ("b", LineKind::Item)
        ]
    );
}

#[test]
fn partly_bold_line_is_not_emphasized() {
    let d = decode(
        "<p><b>Location:</b> Austin, TX</p><p><b>Requirements:</b></p>",
        1 << 20,
    );
    assert_eq!(
        texts(&d),
        vec![
            ("Location: Austin, TX", LineKind::Text, false),
            ("Requirements:", LineKind::Text, true)
        ]
    );
}

#[test]
fn deep_nesting_and_truncation_do_not_panic() {
    let deep = "<div>".repeat(100_000) + "x";
    let d = decode(&deep, 1 << 20);
    assert_eq!(d.plain_text(), "x");
    let d = decode("<p>héllo wörld</p>", 6);
    assert!(d.truncated);
}

#[test]
fn tag_scanner_agrees_with_the_parser_on_sane_html() {
    let html = "<p><b>Role:</b></p><p>We build <i>things</i>.<br>Daily.</p><ul><li>one</li><li>two<br>lines</li></ul><script>x<y</script><h2>Perks</h2>";
    let mut parsed = LineWriter::default();
    parse_tags(html, false, &mut parsed);
    parsed.flush();
    let mut scanned = LineWriter::default();
    scan_tags(html, false, &mut scanned);
    scanned.flush();
    assert_eq!(parsed.lines, scanned.lines);
    assert_eq!(parsed.lines.len(), 6);
}

/// `LineWriter::text` against the definition the plain-text path
/// uses (`push_normalized`, character by character): whitespace
/// collapses to one space, invisible characters vanish, a newline may
/// end the line; the visible count is the bytes that are not spaces.
#[test]
fn text_runs_agree_with_the_character_by_character_definition() {
    fn by_char(text: &str, newline_breaks: bool) -> Vec<(String, usize)> {
        let parts: Vec<&str> = if newline_breaks {
            text.split('\n').collect()
        } else {
            vec![text]
        };
        let lines = parts.into_iter().map(|part| {
            let mut line = String::new();
            push_normalized(&mut line, part);
            let visible = line.len() - line.matches(' ').count();
            (line, visible)
        });
        lines.filter(|(line, _)| !line.is_empty()).collect()
    }
    // The whole text through `text` and `flush`, as the scanner does.
    fn by_writer(text: &str, newline_breaks: bool) -> (Vec<Line>, usize) {
        let mut w = LineWriter::default();
        w.text(text, newline_breaks);
        let visible = w.plain_chars;
        w.flush();
        (w.lines, visible)
    }
    let alphabet = [
        "a", "Z", "7", ".", " ", "  ", "\n", "\t", "\r", "\u{a0}", "\u{2003}", "\u{200b}",
        "\u{ad}", "\u{1}", "\u{7f}", "é", "•", "日本", "abcdefgh", "ab cd ef", "x y",
    ];
    let mut rng = crate::test_random::Lcg::new(7);
    for round in 0..50_000 {
        let text = rng.text(&alphabet, round % 40);
        for newline_breaks in [false, true] {
            let expected = by_char(&text, newline_breaks);
            let (lines, visible) = by_writer(&text, newline_breaks);
            let finished: Vec<Line> = expected
                .iter()
                .filter_map(|(l, _)| finish_line(l, LineKind::Text, false, false))
                .collect();
            assert_eq!(lines, finished, "{text:?} newline_breaks={newline_breaks}");
            // One line, still open at the end: its visible count.
            if !newline_breaks || !text.contains('\n') {
                let all = expected.last().map_or(0, |(_, v)| *v);
                assert_eq!(visible, all, "{text:?}");
            }
        }
    }
}

#[test]
fn newlines_break_lines_only_without_block_markup() {
    let inline_only = decode("<b>Requirements</b>\nPython\n<i>SQL</i> and more", 1 << 20);
    assert_eq!(
        texts(&inline_only),
        [
            ("Requirements", LineKind::Text, true),
            ("Python", LineKind::Text, false),
            ("SQL and more", LineKind::Text, false),
        ]
    );
    let with_blocks = decode("<p><b>Requirements</b>\nPython\nSQL</p>", 1 << 20);
    assert_eq!(
        texts(&with_blocks),
        [("Requirements Python SQL", LineKind::Text, false)]
    );
}

#[test]
fn pathological_nesting_takes_the_linear_path() {
    assert!(nesting_exceeds(&"<div>".repeat(300), MAX_PARSER_DEPTH));
    assert!(!nesting_exceeds(&"<li>".repeat(300), MAX_PARSER_DEPTH));
    assert!(!nesting_exceeds(
        &"<div></div>".repeat(300),
        MAX_PARSER_DEPTH
    ));
    // A quote the scanner reads as opening a value, before deep nesting:
    // the scan gives up, and the nesting still keeps html5ever out.
    let hostile = format!("<a b'>{}", "<div>".repeat(50_000));
    let scanned = scan_tags(&hostile, false, &mut LineWriter::default());
    assert_eq!(scanned, Markup::NeedsRepair);
    assert!(!needs_parser(&hostile, scanned));
    let d = decode(&("<b>".repeat(50_000) + "bold"), 1 << 20);
    assert_eq!(d.plain_text(), "bold");
}

#[test]
fn entities() {
    assert_eq!(
        unescape_entities("a &amp; b &#39;c&#x27; &bogus; &"),
        "a & b 'c' &bogus; &"
    );
    assert_eq!(unescape_entities("&#0;"), "&#0;");
    // Every named reference of the HTML standard, not only the common ones.
    assert_eq!(unescape_entities("Gr&ouml;&szlig;e"), "Größe");
    assert_eq!(
        unescape_entities("&NotEqualTilde; &fjlig;"),
        "\u{2242}\u{338} fj"
    );
    assert_eq!(
        unescape_entities("&CounterClockwiseContourIntegral;"),
        "\u{2233}"
    );
    assert_eq!(unescape_entities("&ouml &Ouml"), "&ouml &Ouml");
}

#[test]
fn named_entities_in_markup_agree_with_the_parser() {
    for html in [
        "<p>Gr&ouml;&szlig;e &amp; &Auml;rger</p><ul><li>&hearts; &rarr; &frac12;</li></ul>",
        "<p>Caf&eacute; &ouml without a semicolon</p>",
        "<p>&NotEqualTilde; &unknownentity; &amp</p>",
        "<p>&copy 2024 Acme Inc; all rights reserved</p>",
        "<p>Pay:&nbsp&nbsp$50k; more</p>",
        "<p>Johnson&Johnson; R&D</p>",
    ] {
        let scanned = scanned_lines(html);
        let parsed = parsed_lines(html);
        if let Some(scanned) = scanned {
            assert_eq!(scanned, parsed, "{html}");
        }
        assert_eq!(decode(html, 1 << 20).lines, parsed, "{html}");
    }
    assert!(scanned_lines("<p>Gr&ouml;&szlig;e</p>").is_some());
    // A name's prefix is not a name: plain text needs no parser.
    assert!(scanned_lines("<p>Johnson&Johnson and R&D</p>").is_some());
    assert!(scanned_lines("<p>&copy 2024 Acme Inc; all rights reserved</p>").is_none());
    assert_eq!(
        decode("Gr&ouml;&szlig;e", 1 << 20).plain_text(),
        "Größe",
        "plain text"
    );
}

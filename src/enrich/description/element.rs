//! What the description decoder needs to know about an HTML element, looked
//! up once per tag: a few bits instead of a string comparison against each
//! list of names for every question asked (block? emphasis? void? ...),
//! which had cost far more per tag (docs/performance.md).

/// The roles of one element name (lower case). Unknown names have none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Element(u16);

impl Element {
    /// Its start and end break the line.
    pub const BLOCK: Element = Element(1);
    /// `<strong>`, `<b>`, `<u>`, `<em>`, `<i>`: makes a line look like a heading.
    pub const EMPHASIS: Element = Element(1 << 1);
    /// `<h1>`–`<h6>`.
    pub const HEADING: Element = Element(1 << 2);
    /// Content never shown (`<script>`, `<style>`, `<head>`, ...).
    pub const HIDDEN: Element = Element(1 << 3);
    /// Never has content or an end tag.
    pub const VOID: Element = Element(1 << 4);
    /// Phrasing elements that a block inside makes a parser repair.
    pub const INLINE: Element = Element(1 << 5);
    pub const LIST_ITEM: Element = Element(1 << 6);
    pub const LINE_BREAK: Element = Element(1 << 7);
    /// `<td>`, `<th>`.
    pub const CELL: Element = Element(1 << 8);
    /// `<script>`, `<style>`: raw text up to the end tag.
    pub const RAW_TEXT: Element = Element(1 << 9);
    pub const PARAGRAPH: Element = Element(1 << 10);
    /// `<dt>`, `<dd>`.
    pub const DEFINITION: Element = Element(1 << 11);
    pub const ROW: Element = Element(1 << 12);
    pub const OPTION: Element = Element(1 << 13);
    /// Content the HTML tokenizer reads as text up to the end tag
    /// (`<textarea>`, `<title>`, `<xmp>`, `<iframe>`, `<noembed>`,
    /// `<noframes>`, `<plaintext>`): only the parser reads these right.
    pub const PARSER_TEXT: Element = Element(1 << 14);

    const fn with(self, other: Element) -> Element {
        Element(self.0 | other.0)
    }

    pub fn is(self, role: Element) -> bool {
        self.0 & role.0 != 0
    }

    /// The element named `name` (lower case, as the scanner and html5ever
    /// give it).
    pub fn of(name: &str) -> Element {
        match packed(name.as_bytes()) {
            Some(p) => by_packed_name(p),
            // The only known names longer than eight bytes.
            None => match name {
                "blockquote" | "figcaption" => Element::BLOCK,
                "plaintext" => Element::PARSER_TEXT,
                _ => Element::default(),
            },
        }
    }

    /// Whether a parser closes an open `self` before opening `next`.
    pub fn ends_before(self, next: Element) -> bool {
        (self.is(Element::LIST_ITEM) && next.is(Element::LIST_ITEM))
            || (self.is(Element::PARAGRAPH) && next.is(Element::BLOCK))
            || (self.is(Element::DEFINITION) && next.is(Element::DEFINITION))
            || (self.is(Element::CELL) && next.is(Element::CELL.with(Element::ROW)))
            || (self.is(Element::ROW) && next.is(Element::ROW))
            || (self.is(Element::OPTION) && next.is(Element::OPTION))
    }

    /// Elements that end themselves (`<li>`, `<p>`, cells, ...) or have no
    /// content: they do not deepen the nesting a parser builds.
    pub fn does_not_nest(self) -> bool {
        self.is(Element::VOID
            .with(Element::LIST_ITEM)
            .with(Element::PARAGRAPH)
            .with(Element::CELL)
            .with(Element::ROW)
            .with(Element::DEFINITION)
            .with(Element::OPTION))
    }
}

/// A name of up to eight bytes as one little-endian integer (`None` for
/// longer names), so that the lookup is one integer `match`.
const fn packed(name: &[u8]) -> Option<u64> {
    if name.len() > 8 {
        return None;
    }
    let mut value = 0u64;
    let mut i = 0;
    while i < name.len() {
        value |= (name[i] as u64) << (8 * i);
        i += 1;
    }
    Some(value)
}

macro_rules! elements {
    ($($id:ident = $name:literal: $($role:ident)|+;)*) => {
        #[allow(non_upper_case_globals)]
        mod packed_name {
            $(pub const $id: u64 = match super::packed($name.as_bytes()) {
                Some(packed) => packed,
                None => panic!("element names in the table are at most eight bytes"),
            };)*
        }

        fn by_packed_name(p: u64) -> Element {
            match p {
                $(packed_name::$id => Element(0)$(.with(Element::$role))+,)*
                _ => Element::default(),
            }
        }

        #[cfg(test)]
        const TABLE: &[(&str, Element)] = &[$(($name, Element(0)$(.with(Element::$role))+),)*];
    };
}

elements! {
    p = "p": BLOCK | PARAGRAPH;
    div = "div": BLOCK;
    section = "section": BLOCK;
    article = "article": BLOCK;
    header = "header": BLOCK;
    footer = "footer": BLOCK;
    main = "main": BLOCK;
    aside = "aside": BLOCK;
    nav = "nav": BLOCK;
    pre = "pre": BLOCK;
    ul = "ul": BLOCK;
    ol = "ol": BLOCK;
    dl = "dl": BLOCK;
    dt = "dt": BLOCK | DEFINITION;
    dd = "dd": BLOCK | DEFINITION;
    table = "table": BLOCK;
    thead = "thead": BLOCK;
    tbody = "tbody": BLOCK;
    tr = "tr": BLOCK | ROW;
    h1 = "h1": BLOCK | HEADING;
    h2 = "h2": BLOCK | HEADING;
    h3 = "h3": BLOCK | HEADING;
    h4 = "h4": BLOCK | HEADING;
    h5 = "h5": BLOCK | HEADING;
    h6 = "h6": BLOCK | HEADING;
    li = "li": BLOCK | LIST_ITEM;
    hr = "hr": BLOCK | VOID;
    address = "address": BLOCK;
    figure = "figure": BLOCK;
    center = "center": BLOCK;
    form = "form": BLOCK;
    fieldset = "fieldset": BLOCK;
    body = "body": BLOCK;
    html = "html": BLOCK;
    strong = "strong": EMPHASIS | INLINE;
    b = "b": EMPHASIS | INLINE;
    u = "u": EMPHASIS | INLINE;
    em = "em": EMPHASIS | INLINE;
    i = "i": EMPHASIS | INLINE;
    a = "a": INLINE;
    span = "span": INLINE;
    font = "font": INLINE;
    small = "small": INLINE;
    big = "big": INLINE;
    sub = "sub": INLINE;
    sup = "sup": INLINE;
    code = "code": INLINE;
    label = "label": INLINE;
    script = "script": HIDDEN | RAW_TEXT;
    style = "style": HIDDEN | RAW_TEXT;
    head = "head": HIDDEN;
    title = "title": HIDDEN | PARSER_TEXT;
    noscript = "noscript": HIDDEN;
    template = "template": HIDDEN;
    iframe = "iframe": HIDDEN | PARSER_TEXT;
    object = "object": HIDDEN;
    br = "br": VOID | LINE_BREAK;
    img = "img": VOID;
    input = "input": VOID;
    meta = "meta": VOID;
    link = "link": VOID;
    wbr = "wbr": VOID;
    area = "area": VOID;
    base = "base": VOID;
    col = "col": VOID;
    embed = "embed": VOID;
    source = "source": VOID;
    track = "track": VOID;
    param = "param": VOID;
    td = "td": CELL;
    th = "th": CELL;
    option = "option": OPTION;
    textarea = "textarea": PARSER_TEXT;
    xmp = "xmp": PARSER_TEXT;
    noembed = "noembed": PARSER_TEXT;
    noframes = "noframes": PARSER_TEXT;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_in_the_table_is_looked_up_with_its_roles() {
        for &(name, roles) in TABLE {
            assert_eq!(Element::of(name), roles, "{name}");
            assert_ne!(roles, Element::default(), "{name}");
        }
        assert!(Element::of("blockquote").is(Element::BLOCK));
        assert!(Element::of("figcaption").is(Element::BLOCK));
        assert!(Element::of("plaintext").is(Element::PARSER_TEXT));
    }

    #[test]
    fn unknown_names_and_near_misses_have_no_role() {
        for name in [
            "",
            "x",
            "bb",
            "pp",
            "lis",
            "l",
            "strongs",
            "blockquotes",
            "scrip",
            "h7",
            "h",
            "divs",
        ] {
            assert_eq!(Element::of(name), Element::default(), "{name:?}");
        }
    }

    #[test]
    fn implied_ends_follow_the_parser_rules() {
        let of = Element::of;
        assert!(of("li").ends_before(of("li")));
        assert!(!of("li").ends_before(of("ul")));
        assert!(of("p").ends_before(of("div")));
        assert!(of("p").ends_before(of("li")));
        assert!(!of("p").ends_before(of("b")));
        assert!(of("dt").ends_before(of("dd")));
        assert!(of("td").ends_before(of("tr")));
        assert!(of("th").ends_before(of("td")));
        assert!(of("tr").ends_before(of("tr")));
        assert!(!of("tr").ends_before(of("td")));
        assert!(of("option").ends_before(of("option")));
        assert!(!of("div").ends_before(of("div")));
    }
}

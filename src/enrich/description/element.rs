//! What the description decoder needs to know about an HTML element, looked
//! up once per tag: its roles as a set of flags, so each question asked of
//! a tag (block? emphasis? void? ...) is a bit test rather than a string
//! comparison against a list of names.

bitflags::bitflags! {
    /// The roles of one element name (lower case). Unknown names have none.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
    pub struct Element: u16 {
        /// Its start and end break the line.
        const BLOCK = 1;
        /// `<strong>`, `<b>`, `<u>`, `<em>`, `<i>`: makes a line look like a heading.
        const EMPHASIS = 1 << 1;
        /// `<h1>`–`<h6>`.
        const HEADING = 1 << 2;
        /// Content never shown (`<script>`, `<style>`, `<head>`, ...).
        const HIDDEN = 1 << 3;
        /// Never has content or an end tag.
        const VOID = 1 << 4;
        /// Phrasing elements that a block inside makes a parser repair.
        const INLINE = 1 << 5;
        const LIST_ITEM = 1 << 6;
        const LINE_BREAK = 1 << 7;
        /// `<td>`, `<th>`.
        const CELL = 1 << 8;
        /// `<script>`, `<style>`: raw text up to the end tag.
        const RAW_TEXT = 1 << 9;
        const PARAGRAPH = 1 << 10;
        /// `<dt>`, `<dd>`.
        const DEFINITION = 1 << 11;
        const ROW = 1 << 12;
        const OPTION = 1 << 13;
        /// Content the HTML tokenizer reads as text up to the end tag
        /// (`<textarea>`, `<title>`, `<xmp>`, `<iframe>`, `<noembed>`,
        /// `<noframes>`, `<plaintext>`): only the parser reads these right.
        const PARSER_TEXT = 1 << 14;
    }
}

impl Element {
    /// Whether the element has any of the roles in `role`.
    pub fn is(self, role: Element) -> bool {
        self.intersects(role)
    }

    /// The element named `name` (lower case, as the scanner and html5ever
    /// give it).
    pub fn of(name: &str) -> Element {
        match name {
            "p" => Element::BLOCK | Element::PARAGRAPH,
            "div" | "section" | "article" | "header" | "footer" | "main" | "aside" | "nav"
            | "pre" | "ul" | "ol" | "dl" | "table" | "thead" | "tbody" | "address" | "figure"
            | "center" | "form" | "fieldset" | "body" | "html" => Element::BLOCK,
            "dt" | "dd" => Element::BLOCK | Element::DEFINITION,
            "tr" => Element::BLOCK | Element::ROW,
            "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => Element::BLOCK | Element::HEADING,
            "li" => Element::BLOCK | Element::LIST_ITEM,
            "hr" => Element::BLOCK | Element::VOID,
            "strong" | "b" | "u" | "em" | "i" => Element::EMPHASIS | Element::INLINE,
            "a" | "span" | "font" | "small" | "big" | "sub" | "sup" | "code" | "label" => {
                Element::INLINE
            }
            "script" | "style" => Element::HIDDEN | Element::RAW_TEXT,
            "head" | "noscript" | "template" | "object" => Element::HIDDEN,
            "title" | "iframe" => Element::HIDDEN | Element::PARSER_TEXT,
            "br" => Element::VOID | Element::LINE_BREAK,
            "img" | "input" | "meta" | "link" | "wbr" | "area" | "base" | "col" | "embed"
            | "source" | "track" | "param" => Element::VOID,
            "td" | "th" => Element::CELL,
            "option" => Element::OPTION,
            "textarea" | "xmp" | "noembed" | "noframes" => Element::PARSER_TEXT,
            "blockquote" | "figcaption" => Element::BLOCK,
            "plaintext" => Element::PARSER_TEXT,
            _ => Element::empty(),
        }
    }

    /// Whether a parser closes an open `self` before opening `next`.
    pub fn ends_before(self, next: Element) -> bool {
        (self.is(Element::LIST_ITEM) && next.is(Element::LIST_ITEM))
            || (self.is(Element::PARAGRAPH) && next.is(Element::BLOCK))
            || (self.is(Element::DEFINITION) && next.is(Element::DEFINITION))
            || (self.is(Element::CELL) && next.is(Element::CELL | Element::ROW))
            || (self.is(Element::ROW) && next.is(Element::ROW))
            || (self.is(Element::OPTION) && next.is(Element::OPTION))
    }

    /// Elements that end themselves (`<li>`, `<p>`, cells, ...) or have no
    /// content: they do not deepen the nesting a parser builds.
    pub fn does_not_nest(self) -> bool {
        self.is(Element::VOID
            | Element::LIST_ITEM
            | Element::PARAGRAPH
            | Element::CELL
            | Element::ROW
            | Element::DEFINITION
            | Element::OPTION)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_looked_up_with_their_roles() {
        for (name, roles) in [
            ("p", Element::BLOCK | Element::PARAGRAPH),
            ("li", Element::BLOCK | Element::LIST_ITEM),
            ("h3", Element::BLOCK | Element::HEADING),
            ("strong", Element::EMPHASIS | Element::INLINE),
            ("br", Element::VOID | Element::LINE_BREAK),
            ("script", Element::HIDDEN | Element::RAW_TEXT),
            ("title", Element::HIDDEN | Element::PARSER_TEXT),
            ("td", Element::CELL),
            ("noframes", Element::PARSER_TEXT),
        ] {
            assert_eq!(Element::of(name), roles, "{name}");
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

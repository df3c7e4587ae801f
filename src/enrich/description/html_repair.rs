//! Markup a browser would repair goes through html5ever (via scraper),
//! which builds the tree as a browser would; the walk over it is iterative.

use ego_tree::iter::Edge;
use scraper::{Html, Node};

use super::element::Element;
use super::line_writer::LineWriter;
use super::tag_scanner::{Markup, nesting_exceeds};

/// Deepest element nesting handed to the HTML parser. html5ever's tree
/// builder does work proportional to the open-element stack on every tag,
/// so pathological nesting (100,000 `<div>`s) would take quadratic time;
/// deeper input goes through the linear tag scanner instead.
pub(super) const MAX_PARSER_DEPTH: usize = 256;

/// Markup a browser would have to repair goes to html5ever, unless it
/// nests so deep that the parser's time would grow with the square of it
/// (checked only then: well-formed markup needs no parser).
pub(super) fn needs_parser(html: &str, scanned: Markup) -> bool {
    scanned != Markup::WellFormed && !nesting_exceeds(html, MAX_PARSER_DEPTH)
}

/// The normal path for markup that needs repair: html5ever (via scraper)
/// builds the tree as a browser would; the walk over it is iterative.
pub(super) fn parse_tags(html: &str, newline_breaks: bool, w: &mut LineWriter) {
    let doc = Html::parse_fragment(html);
    for edge in doc.tree.root().traverse() {
        match edge {
            Edge::Open(node) => match node.value() {
                Node::Element(el) => w.open(Element::of(el.name())),
                Node::Text(t) => w.text(t, newline_breaks),
                _ => {}
            },
            Edge::Close(node) => {
                if let Node::Element(el) = node.value() {
                    w.close(Element::of(el.name()));
                }
            }
        }
    }
}

"""Guidance Markdown to safe HTML.

Markdown lets writers mix in raw HTML, so the converted HTML is always cleaned with nh3
(the Ammonia sanitiser) against an allow-list: text formatting, lists, tables and links
with web, email or phone addresses. Scripts, styles, event handlers, frames, forms and
images never get through, and nor does any link that is not http, https, mailto or tel.
"""

import markdown
import nh3
from django.utils.safestring import mark_safe
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor

ALLOWED_TAGS = frozenset(
    {
        "a",
        "abbr",
        "blockquote",
        "br",
        "code",
        "dd",
        "dl",
        "dt",
        "em",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "hr",
        "li",
        "ol",
        "p",
        "pre",
        "strong",
        "table",
        "tbody",
        "td",
        "th",
        "thead",
        "tr",
        "ul",
    }
)
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "th": {"scope"}}
ALLOWED_URL_SCHEMES = frozenset({"http", "https", "mailto", "tel"})
# NHS.UK frontend's table styles, whatever the writer typed.
TABLE_CLASSES = {
    "table": {"class": "nhsuk-table"},
    "thead": {"class": "nhsuk-table__head"},
    "tbody": {"class": "nhsuk-table__body"},
    "tr": {"class": "nhsuk-table__row"},
    "th": {"class": "nhsuk-table__header"},
    "td": {"class": "nhsuk-table__cell"},
}
# Dropped with everything inside them, not just the tags.
REMOVED_WITH_CONTENT = frozenset({"script", "style", "template", "noscript", "iframe", "object"})


class _ShiftHeadings(Treeprocessor):
    """The page title is the only h1: a writer's "# Heading" becomes an h2, and so on."""

    def run(self, root):
        for element in root.iter():
            if element.tag in {"h1", "h2", "h3", "h4", "h5"}:
                element.tag = f"h{int(element.tag[1]) + 1}"


class _ShiftHeadingsExtension(Extension):
    def extendMarkdown(self, md):
        md.treeprocessors.register(_ShiftHeadings(md), "shift_headings", 5)


def sanitise_html(html):
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        clean_content_tags=set(REMOVED_WITH_CONTENT),
        attributes={tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(ALLOWED_URL_SCHEMES),
        link_rel="noopener noreferrer",
        set_tag_attribute_values=TABLE_CLASSES,
        strip_comments=True,
    )


def render_markdown(text):
    """Safe HTML for a guidance body, ready for a template."""
    html = markdown.markdown(
        text or "",
        extensions=["tables", "sane_lists", "def_list", "abbr", _ShiftHeadingsExtension()],
        output_format="html",
    )
    return mark_safe(sanitise_html(html))  # cleaned by nh3 above

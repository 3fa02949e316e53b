"""NHS.UK tables, written like HTML without the classes: ``{% load nhsuk_table %}``.

Every table on the portal is drawn by these tags, so each has a caption, column headers
with ``scope="col"``, and the NHS.UK classes (numeric columns right-aligned)::

    {% table %}
      {% caption hidden=True %}Staff working at {{ premises.name }}{% endcaption %}
      {% thead %}
        {% th "Name" %}{% th "Tokens" numeric=True %}{% th "Actions" hidden=True %}
      {% endthead %}
      {% tbody %}
        {% for member in staff %}
        {% tr %}
          {% td %}<a href="{{ member.url }}">{{ member.name }}</a>{% endtd %}
          {% td numeric=True %}{{ member.tokens }}{% endtd %}
          {% td %}
            <a href="{{ member.change_url }}">Change<span class="nhsuk-u-visually-hidden">
              for {{ member.name }}</span></a>
          {% endtd %}
        {% endtr %}
        {% empty %}
        {% tr %}{% td colspan=3 %}Nobody yet.{% endtd %}{% endtr %}
        {% endfor %}
      {% endtbody %}
    {% endtable %}

Options:

* ``{% table responsive=True %}``: the NHS.UK responsive table, whose rows stack on a
  small screen; give each cell the heading it shows there, ``{% td heading="Premises" %}``.
* ``{% caption hidden=True %}`` keeps the caption for screen readers only;
  ``{% caption size="s" %}`` (or "m", "l") makes it a heading of that size.
* ``{% th "Label" numeric=True hidden=True %}``: a right-aligned column; a header read by
  screen readers only (for a column of links such as "Change"). ``sort_href`` and
  ``aria_sort`` ("ascending", "descending" or "none") make the header a link that sorts.
* ``{% td numeric=True colspan=3 heading="..." %}``.

A table without a caption or a head is refused when the template is loaded. Leading and
trailing white space inside a cell is dropped, so cells may be written over several lines.
"""

from django import template
from django.template.base import token_kwargs
from django.utils.html import format_html
from django.utils.safestring import mark_safe

register = template.Library()

CAPTION_SIZES = ("s", "m", "l")
ARIA_SORTS = ("ascending", "descending", "none")


def _parse(parser, token, allowed):
    """The keyword options of a block tag, checked against ``allowed``."""
    bits = token.split_contents()
    name = bits.pop(0)
    options = token_kwargs(bits, parser, support_legacy=False)
    if bits:
        raise template.TemplateSyntaxError(
            f"{{% {name} %}} takes only name=value options ({', '.join(allowed)}); "
            f"cannot read {bits[0]!r}"
        )
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        raise template.TemplateSyntaxError(
            f"{{% {name} %}} has no option {unknown[0]!r}; it takes {', '.join(allowed)}"
        )
    return name, options


def _resolve(options, context):
    return {key: value.resolve(context) for key, value in options.items()}


def _contents(nodelist, context):
    # The nodes render escaped, safe text; strip() returns a plain str, so mark it again.
    return mark_safe(nodelist.render(context).strip())


class _Block(template.Node):
    allowed = ()

    def __init__(self, nodelist, options):
        self.nodelist = nodelist
        self.options = options

    def render(self, context):
        return self.render_with(
            _contents(self.nodelist, context), **_resolve(self.options, context)
        )


class TableNode(_Block):
    allowed = ("responsive",)

    def render_with(self, contents, responsive=False):
        css_class = "nhsuk-table-responsive" if responsive else "nhsuk-table"
        return format_html('<table class="{}">\n{}\n</table>', css_class, contents)


class CaptionNode(_Block):
    allowed = ("hidden", "size")

    def render_with(self, contents, hidden=False, size=""):
        classes = ["nhsuk-table__caption"]
        if size:
            if size not in CAPTION_SIZES:
                raise template.TemplateSyntaxError(
                    f"{{% caption size={size!r} %}}: size is one of {', '.join(CAPTION_SIZES)}"
                )
            classes.append(f"nhsuk-table__caption--{size}")
        if hidden:
            classes.append("nhsuk-u-visually-hidden")
        return format_html('<caption class="{}">{}</caption>', " ".join(classes), contents)


class TheadNode(_Block):
    def render_with(self, contents):
        return format_html(
            '<thead class="nhsuk-table__head"><tr class="nhsuk-table__row">{}</tr></thead>',
            contents,
        )


class TbodyNode(_Block):
    def render_with(self, contents):
        return format_html('<tbody class="nhsuk-table__body">\n{}\n</tbody>', contents)


class TrNode(_Block):
    def render_with(self, contents):
        return format_html('<tr class="nhsuk-table__row">{}</tr>', contents)


class TdNode(_Block):
    allowed = ("numeric", "colspan", "heading")

    def render_with(self, contents, numeric=False, colspan=None, heading=""):
        css_class = "nhsuk-table__cell" + (" nhsuk-table__cell--numeric" if numeric else "")
        span = format_html(' colspan="{}"', colspan) if colspan else ""
        if heading:
            # The responsive table's label for the cell on a small screen; screen readers
            # already have the column header.
            contents = format_html(
                '<span class="nhsuk-table-responsive__heading" aria-hidden="true">{} </span>{}',
                heading,
                contents,
            )
        return format_html('<td class="{}"{}>{}</td>', css_class, span, contents)


def _block(node_class, name):
    def compile_block(parser, token):
        tag, options = _parse(parser, token, node_class.allowed)
        nodelist = parser.parse((f"end{tag}",))
        parser.delete_first_token()
        node = node_class(nodelist, options)
        if node_class is TableNode:
            for part, needed in ((CaptionNode, "caption"), (TheadNode, "thead")):
                if not nodelist.get_nodes_by_type(part):
                    raise template.TemplateSyntaxError(
                        f"{{% table %}} needs a {{% {needed} %}}: every table has a caption "
                        "and column headers"
                    )
        return node

    compile_block.__name__ = name
    register.tag(name, compile_block)


for _name, _node in (
    ("table", TableNode),
    ("caption", CaptionNode),
    ("thead", TheadNode),
    ("tbody", TbodyNode),
    ("tr", TrNode),
    ("td", TdNode),
):
    _block(_node, _name)


@register.simple_tag
def th(
    label: str,
    *,
    numeric: bool = False,
    hidden: bool = False,
    sort_href: str = "",
    aria_sort: str = "none",
) -> str:
    """``{% th "Label" %}``: a column header (see the module docstring for the options)."""
    css_class = "nhsuk-table__header" + (" nhsuk-table__header--numeric" if numeric else "")
    if hidden:
        label = format_html('<span class="nhsuk-u-visually-hidden">{}</span>', label)
    if not sort_href:
        return format_html('<th scope="col" class="{}">{}</th>', css_class, label)
    if aria_sort not in ARIA_SORTS:
        raise template.TemplateSyntaxError(
            f"{{% th aria_sort={aria_sort!r} %}}: aria_sort is one of {', '.join(ARIA_SORTS)}"
        )
    sort = format_html(' aria-sort="{}"', aria_sort) if aria_sort != "none" else ""
    return format_html(
        '<th scope="col" class="{}" data-sort{}><a class="nhsuk-link" href="{}">{}</a></th>',
        css_class,
        sort,
        sort_href,
        label,
    )

"""The NHS.UK table tags: the markup every table on the portal is drawn with."""

import pytest
from django.template import Context, Template, TemplateSyntaxError


def render(source, **context):
    return Template("{% load nhsuk_table %}" + source).render(Context(context))


def test_table_with_caption_head_and_rows():
    html = render(
        """{% table %}
          {% caption %}Staff at {{ name }}{% endcaption %}
          {% thead %}{% th "Name" %}{% th "Tokens" numeric=True %}{% endthead %}
          {% tbody %}
            {% for person, tokens in people %}
            {% tr %}
              {% td %}
                {{ person }}
              {% endtd %}
              {% td numeric=True %}{{ tokens }}{% endtd %}
            {% endtr %}
            {% endfor %}
          {% endtbody %}
        {% endtable %}""",
        name="Boots <Leeds>",
        people=[("Ann", 3), ("<b>Bo</b>", 10)],
    )
    assert html.startswith('<table class="nhsuk-table">\n<caption class="nhsuk-table__caption">')
    assert '<caption class="nhsuk-table__caption">Staff at Boots &lt;Leeds&gt;</caption>' in html
    assert (
        '<thead class="nhsuk-table__head"><tr class="nhsuk-table__row">'
        '<th scope="col" class="nhsuk-table__header">Name</th>'
        '<th scope="col" class="nhsuk-table__header nhsuk-table__header--numeric">Tokens</th>'
        "</tr></thead>"
    ) in html
    assert '<tbody class="nhsuk-table__body">' in html
    assert (
        '<tr class="nhsuk-table__row"><td class="nhsuk-table__cell">Ann</td>\n'
        '              <td class="nhsuk-table__cell nhsuk-table__cell--numeric">3</td></tr>'
    ) in html
    assert '<td class="nhsuk-table__cell">&lt;b&gt;Bo&lt;/b&gt;</td>' in html
    assert html.endswith("</tbody>\n</table>")


def test_hidden_and_sized_captions():
    table = (
        "{% table %}{% caption {options} %}Words{% endcaption %}"
        "{% thead %}{% th 'A' %}{% endthead %}{% endtable %}"
    )
    assert (
        '<caption class="nhsuk-table__caption nhsuk-u-visually-hidden">Words</caption>'
        in render(table.replace("{options}", "hidden=True"))
    )
    assert (
        '<caption class="nhsuk-table__caption nhsuk-table__caption--s">Words</caption>'
        in render(table.replace("{options}", 'size="s"'))
    )
    assert '<caption class="nhsuk-table__caption">Words</caption>' in render(
        table.replace("{options}", "hidden=flag"), flag=False
    )
    with pytest.raises(TemplateSyntaxError, match="size is one of s, m, l"):
        render(table.replace("{options}", 'size="xl"'))


def test_header_read_by_screen_readers_only():
    assert render('{% th "Actions" hidden=True %}') == (
        '<th scope="col" class="nhsuk-table__header">'
        '<span class="nhsuk-u-visually-hidden">Actions</span></th>'
    )
    assert render("{% th label %}", label="<i>x</i>") == (
        '<th scope="col" class="nhsuk-table__header">&lt;i&gt;x&lt;/i&gt;</th>'
    )


def test_sorting_header_links_and_says_its_order():
    assert render('{% th "Days" numeric=True sort_href="?sort=days" aria_sort="ascending" %}') == (
        '<th scope="col" class="nhsuk-table__header nhsuk-table__header--numeric" data-sort'
        ' aria-sort="ascending"><a class="nhsuk-link" href="?sort=days">Days</a></th>'
    )
    assert render('{% th "Name" sort_href="?sort=name&amp;page=2" %}') == (
        '<th scope="col" class="nhsuk-table__header" data-sort>'
        '<a class="nhsuk-link" href="?sort=name&amp;page=2">Name</a></th>'
    )
    with pytest.raises(TemplateSyntaxError, match="aria_sort is one of"):
        render('{% th "Name" sort_href="?sort=name" aria_sort="up" %}')


def test_cell_spanning_columns():
    assert render("{% td colspan=4 %}No premises match.{% endtd %}") == (
        '<td class="nhsuk-table__cell" colspan="4">No premises match.</td>'
    )


def test_responsive_table_cells_carry_their_heading():
    html = render(
        """{% table responsive=True %}{% caption %}3 premises{% endcaption %}
        {% thead %}{% th "Premises" %}{% endthead %}
        {% tbody %}{% tr %}
          {% td heading=label %}<a href="/p/1/">Boots</a>{% endtd %}
        {% endtr %}{% endtbody %}
        {% endtable %}""",
        label="Premises",
    )
    assert html.startswith('<table class="nhsuk-table-responsive">')
    assert (
        '<td class="nhsuk-table__cell"><span class="nhsuk-table-responsive__heading"'
        ' aria-hidden="true">Premises </span><a href="/p/1/">Boots</a></td>'
    ) in html


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("{% table %}{% thead %}{% th 'A' %}{% endthead %}{% endtable %}", "needs a {% caption %}"),
        ("{% table %}{% caption %}C{% endcaption %}{% endtable %}", "needs a {% thead %}"),
        ("{% td wide=True %}x{% endtd %}", "has no option 'wide'"),
        ("{% td 3 %}x{% endtd %}", "takes only name=value options"),
        ("{% tr %}{% td %}x{% endtd %}", "endtr"),
        ("{% th %}", "did not receive value"),
    ],
)
def test_mistakes_are_refused_when_the_template_loads(source, message):
    with pytest.raises(TemplateSyntaxError, match=message):
        render(source)

"""Guidance Markdown is rendered harmless, whatever a writer (or an attacker with an
admin's session) puts in it."""

import html
from html.parser import HTMLParser

import pytest

from records.rendering import ALLOWED_TAGS, ALLOWED_URL_SCHEMES, render_markdown

# Each a way to run script or load something hostile, as Markdown or raw HTML in Markdown.
XSS_PAYLOADS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=https://evil.example/x.js></SCRIPT>",
    "<scr<script>ipt>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '<img src="javascript:alert(1)">',
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<body onload=alert(1)>",
    "<details open ontoggle=alert(1)>",
    "<input autofocus onfocus=alert(1)>",
    '<p onclick="alert(1)">click</p>',
    '<a href="javascript:alert(1)">link</a>',
    '<a href="JaVaScRiPt:alert(1)">link</a>',
    '<a href="  javascript:alert(1)">link</a>',
    '<a href="java&#x09;script:alert(1)">link</a>',
    '<a href="&#106;avascript:alert(1)">link</a>',
    '<a href="vbscript:msgbox(1)">link</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">link</a>',
    "[link](javascript:alert(1))",
    "[link](JAVASCRIPT:alert(1))",
    "[link](javascript&#58;alert(1))",
    "[link](data:text/html,<script>alert(1)</script>)",
    "[link][ref]\n\n[ref]: javascript:alert(1)",
    "<javascript:alert(1)>",
    "![image](javascript:alert(1))",
    '![image](x" onerror="alert(1))',
    '[link](https://example.org "title\\" onmouseover=\\"alert(1)")',
    '<iframe src="https://evil.example"></iframe>',
    '<object data="https://evil.example/x.swf"></object>',
    '<embed src="https://evil.example/x.swf">',
    '<form action="https://evil.example"><button>Go</button></form>',
    "<style>body { display: none }</style>",
    '<div style="background:url(javascript:alert(1))">x</div>',
    '<meta http-equiv="refresh" content="0;url=https://evil.example">',
    '<base href="https://evil.example/">',
    '<link rel="stylesheet" href="https://evil.example/x.css">',
    '<math><mi xlink:href="javascript:alert(1)">x</mi></math>',
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>',
    "<!--<script>alert(1)</script>-->",
    '<table><tr><td background="javascript:alert(1)">x</td></tr></table>',
    '<a href="https://example.org" target="_blank" onmouseover="alert(1)">ok</a>',
    "<template><script>alert(1)</script></template>",
]


class Collector(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags = []
        self.attrs = []
        self.text = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs.extend((tag, name, value or "") for name, value in attrs)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_data(self, data):
        self.text.append(data)


def parse(markup):
    collector = Collector()
    collector.feed(str(markup))
    collector.close()
    return collector


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_payload_is_rendered_harmless(payload):
    rendered = parse(render_markdown(f"Before\n\n{payload}\n\nAfter"))
    assert set(rendered.tags) <= ALLOWED_TAGS, rendered.tags
    for tag, name, value in rendered.attrs:
        assert not name.startswith("on"), (tag, name)
        assert name not in {"style", "src", "srcset", "background", "action", "formaction"}
        if name == "href":
            scheme = html.unescape(value).strip().split(":", 1)[0].lower()
            assert ":" not in value or scheme in ALLOWED_URL_SCHEMES, value
        assert "javascript:" not in html.unescape(value).lower().replace("\t", "")


@pytest.mark.parametrize(
    "payload", ["<script>alert(1)</script>", "<style>body{}</style>", "<template>x</template>"]
)
def test_dangerous_elements_go_with_their_content(payload):
    assert "alert" not in str(render_markdown(payload))
    assert "body{}" not in str(render_markdown(payload))


def test_ordinary_markdown_keeps_its_meaning():
    rendered = str(
        render_markdown(
            "# Big\n\n## Section\n\nSome **bold** text and a [link](https://example.org).\n\n"
            "- one\n- two\n\n| A | B |\n|---|---|\n| 1 | 2 |\n\n"
            "Call [01484 355220](tel:01484355220) or [email](mailto:help@example.org)."
        )
    )
    assert "<h1>" not in rendered, "the page title is the only h1"
    assert "<h2>Big</h2>" in rendered
    assert "<h3>Section</h3>" in rendered
    assert "<strong>bold</strong>" in rendered
    assert 'href="https://example.org"' in rendered
    assert 'rel="noopener noreferrer"' in rendered
    assert "<li>one</li>" in rendered
    assert '<table class="nhsuk-table">' in rendered
    assert '<td class="nhsuk-table__cell">1</td>' in rendered
    assert 'href="tel:01484355220"' in rendered
    assert 'href="mailto:help@example.org"' in rendered


def test_links_to_other_guidance_pages_are_kept():
    assert 'href="/guidance/contacts/"' in str(render_markdown("[Contacts](/guidance/contacts/)"))


def test_empty_body_renders_nothing():
    assert str(render_markdown("")) == ""

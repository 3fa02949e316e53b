"""Find the forms on a rendered page: what a browser would submit, field by field."""

from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit


@dataclass
class Field:
    name: str
    kind: str  # an input type, "select" or "textarea"
    value: str = ""
    options: list = field(default_factory=list)


@dataclass
class Form:
    method: str
    action: str  # a path on this site
    fields: list = field(default_factory=list)

    def field_names(self):
        return tuple(sorted({f.name for f in self.fields}))


class _FormParser(HTMLParser):
    def __init__(self, page_url):
        super().__init__(convert_charrefs=True)
        self.page_url = page_url
        self.forms = []
        self._form = None
        self._select = None

    def handle_starttag(self, tag, attrs):
        attrs = {key: value or "" for key, value in attrs}
        if tag == "form":
            action = urljoin(self.page_url, attrs.get("action") or self.page_url)
            self._form = Form(method=(attrs.get("method") or "get").lower(), action=action)
            self.forms.append(self._form)
            return
        if tag == "option" and self._select is not None:
            self._select.options.append(attrs.get("value", ""))
            return
        if self._form is None or "name" not in attrs or "disabled" in attrs:
            return
        if tag == "input":
            kind = attrs.get("type", "text").lower()
            if kind in {"file", "image", "reset", "button"}:
                return
            self._form.fields.append(Field(attrs["name"], kind, attrs.get("value", "")))
        elif tag == "textarea":
            self._form.fields.append(Field(attrs["name"], "textarea"))
        elif tag == "select":
            self._select = Field(attrs["name"], "select")
            self._form.fields.append(self._select)
        elif tag == "button" and attrs.get("type", "submit") == "submit":
            self._form.fields.append(Field(attrs["name"], "submit", attrs.get("value", "")))

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None


def forms_on(page_url, html):
    """Forms on the page that submit to this site."""
    parser = _FormParser(f"http://testserver{page_url}")
    parser.feed(html)
    found = []
    for form in parser.forms:
        parts = urlsplit(form.action)
        if parts.netloc not in {"", "testserver"}:
            continue
        form.action = parts.path + (f"?{parts.query}" if parts.query else "")
        found.append(form)
    return found

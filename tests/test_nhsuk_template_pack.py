"""The crispy-forms "nhsuk" template pack and the NHS.UK date field.

Rendering needs no database: every form here is a throwaway defined in this module.
"""

import datetime
import random
from html.parser import HTMLParser
from types import SimpleNamespace

import pytest
from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from crispy_forms.utils import render_crispy_form
from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template import Context, Template
from django.template.loader import render_to_string

from accounts.widgets import NHSDateField, NHSDateInput

# --- A tiny DOM, enough to ask questions of the markup --------------------------------------

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"}


class Node:
    def __init__(self, tag, attrs, parent):
        self.tag = tag
        self.attrs = {name: ("" if value is None else value) for name, value in attrs}
        self.parent = parent
        self.children = []
        self.content = []  # text and child nodes, in document order

    @property
    def classes(self):
        return self.attrs.get("class", "").split()

    @property
    def text(self):
        parts = [part if isinstance(part, str) else part.text for part in self.content]
        return " ".join(" ".join(parts).split())

    def ancestors(self):
        node = self.parent
        while node is not None:
            yield node
            node = node.parent

    def iter(self):
        for child in self.children:
            yield child
            yield from child.iter()

    def find_all(self, tag=None, cls=None, **attrs):
        found = []
        for node in self.iter():
            if tag and node.tag != tag:
                continue
            if cls and cls not in node.classes:
                continue
            if any(node.attrs.get(_attr_name(name)) != value for name, value in attrs.items()):
                continue
            found.append(node)
        return found

    def find(self, tag=None, cls=None, **attrs):
        found = self.find_all(tag, cls, **attrs)
        assert found, f"no <{tag or '*'}> with class={cls} {attrs}"
        return found[0]

    def by_id(self, id_):
        found = [node for node in self.iter() if node.attrs.get("id") == id_]
        assert len(found) == 1, f"{len(found)} elements with id={id_!r}"
        return found[0]

    def closest(self, tag=None, cls=None):
        for node in self.ancestors():
            if (tag is None or node.tag == tag) and (cls is None or cls in node.classes):
                return node
        return None


def _attr_name(keyword):
    """for_ -> for, aria_current -> aria-current."""
    return keyword.rstrip("_").replace("_", "-")


class _Parser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Node("#root", [], None)
        self.current = self.root

    def handle_starttag(self, tag, attrs):
        node = Node(tag, attrs, self.current)
        self.current.children.append(node)
        self.current.content.append(node)
        if tag not in VOID:
            self.current = node

    def handle_startendtag(self, tag, attrs):
        node = Node(tag, attrs, self.current)
        self.current.children.append(node)
        self.current.content.append(node)

    def handle_endtag(self, tag):
        node = self.current
        while node is not None and node.tag != tag:
            node = node.parent
        assert node is not None, f"stray </{tag}>"
        self.current = node.parent

    def handle_data(self, data):
        self.current.content.append(data)


def parse(html):
    parser = _Parser()
    parser.feed(str(html))
    parser.close()
    assert parser.current is parser.root, f"unclosed <{parser.current.tag}>"
    return parser.root


def assert_accessible_structure(dom):
    """No duplicate ids; every label, aria-describedby and error link points at something."""
    ids = [node.attrs["id"] for node in dom.iter() if node.attrs.get("id")]
    duplicates = {id_ for id_ in ids if ids.count(id_) > 1}
    assert not duplicates, f"duplicate ids: {duplicates}"
    known = set(ids)
    for label in dom.find_all("label"):
        assert label.attrs.get("for") in known, f"label for={label.attrs.get('for')!r} dangles"
    for node in dom.iter():
        for id_ in node.attrs.get("aria-describedby", "").split():
            assert id_ in known, f"aria-describedby={id_!r} dangles"
        for id_ in node.attrs.get("aria-labelledby", "").split():
            assert id_ in known, f"aria-labelledby={id_!r} dangles"
    for link in dom.find_all("a"):
        href = link.attrs.get("href", "")
        if href.startswith("#") and len(href) > 1:
            assert href[1:] in known, f"link to {href} dangles"
    for fieldset in dom.find_all("fieldset"):
        legends = [child for child in fieldset.children if child.tag == "legend"]
        assert len(legends) == 1, "a fieldset needs one legend"
        assert legends[0].text, "a fieldset's legend needs words"
    for control in dom.iter():
        if control.tag in ("input", "select", "textarea") and control.attrs.get("type") not in (
            "hidden",
            "submit",
        ):
            id_ = control.attrs.get("id")
            labelled = bool(id_ and dom.find_all("label", for_=id_))
            assert labelled or control.attrs.get("aria-label"), (
                f"{control.tag} {id_!r} has no label"
            )


# --- A form with one of everything ------------------------------------------------------------


class TelInput(forms.TextInput):
    input_type = "tel"


class KitchenSinkForm(forms.Form):
    full_name = forms.CharField(
        label="Full name",
        help_text="As on your smartcard",
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "name", "class": "nhsuk-input--width-20"}),
    )
    email = forms.EmailField(label="Email address")
    password = forms.CharField(
        label="Password",
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    tokens = forms.IntegerField(label="Tokens in stock", min_value=0)
    website = forms.URLField(label="Website", required=False, assume_scheme="https")
    start = forms.DateField(label="Start date", widget=forms.DateInput(attrs={"type": "date"}))
    phone = forms.CharField(
        label="Phone number",
        widget=TelInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )
    notes = forms.CharField(label="Notes", max_length=200, widget=forms.Textarea)
    region = forms.ChoiceField(
        label="ICB area",
        choices=[("", "Choose an ICB area"), ("ne", "North East"), ("ld", "London")],
    )
    job_role = forms.ChoiceField(
        label="Job role",
        choices=[("pharmacist", "Pharmacist"), ("technician", "Pharmacy technician")],
        widget=forms.RadioSelect,
        help_text="Choose one",
    )
    services = forms.MultipleChoiceField(
        label="Services",
        choices=[("eps", "EPS"), ("scr", "SCR"), ("nhsmail", "NHSmail")],
        widget=forms.CheckboxSelectMultiple,
    )
    agree = forms.BooleanField(
        label="I have read the smartcard terms", help_text="You must agree to continue"
    )
    evidence = forms.FileField(label="Evidence")
    photo = forms.FileField(label="Photo", required=False, widget=forms.FileInput)
    expiry = NHSDateField(label="When does the token expire?", help_text="For example, 27 3 2026")
    next_url = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper(self)
        self.helper.add_input(Submit("submit", "Save"))


FIELD_IDS = {
    "full_name": "id_full_name",
    "email": "id_email",
    "password": "id_password",
    "tokens": "id_tokens",
    "start": "id_start",
    "phone": "id_phone",
    "notes": "id_notes",
    "region": "id_region",
    "job_role": "id_job_role_0",
    "services": "id_services_0",
    "agree": "id_agree",
    "evidence": "id_evidence",
    "expiry": "id_expiry",
}

GOOD_DATA = {
    "full_name": "Florence Nightingale",
    "email": "florence@example.nhs.uk",
    "password": "correct horse battery",
    "tokens": "3",
    "website": "",
    "start": "2026-01-05",
    "phone": "01632 960000",
    "notes": "Keeps the <b>tokens</b> safe",
    "region": "ld",
    "job_role": "technician",
    "services": ["eps", "nhsmail"],
    "agree": "on",
    "expiry_day": "27",
    "expiry_month": "3",
    "expiry_year": "2026",
}


def render_tag(form):
    return parse(render_crispy_form(form))


def render_filter(form):
    return parse(
        Template("{% load crispy_forms_tags %}{{ form|crispy }}").render(Context({"form": form}))
    )


# --- Unbound ------------------------------------------------------------------------------------


@pytest.mark.parametrize("render", [render_tag, render_filter])
def test_unbound_form_renders_nhsuk_markup_for_every_widget(render):
    dom = render(KitchenSinkForm())
    assert_accessible_structure(dom)
    assert not dom.find_all(cls="nhsuk-error-summary")
    assert not dom.find_all(cls="nhsuk-form-group--error")

    for name, type_ in [
        ("full_name", "text"),
        ("email", "email"),
        ("tokens", "number"),
        ("website", "url"),
        ("start", "date"),
        ("phone", "tel"),
    ]:
        control = dom.by_id(f"id_{name}")
        assert control.tag == "input"
        assert control.attrs["type"] == type_
        assert "nhsuk-input" in control.classes
        assert control.closest(cls="nhsuk-form-group") is not None
        assert dom.find("label", for_=f"id_{name}").classes == ["nhsuk-label"]

    name_input = dom.by_id("id_full_name")
    assert "nhsuk-input--width-20" in name_input.classes
    assert name_input.attrs["autocomplete"] == "name"
    assert name_input.attrs["maxlength"] == "150"
    assert "required" in name_input.attrs
    assert name_input.attrs["aria-describedby"] == "id_full_name-hint"
    assert dom.by_id("id_full_name-hint").text == "As on your smartcard"
    assert "nhsuk-hint" in dom.by_id("id_full_name-hint").classes
    assert dom.by_id("id_email").attrs["spellcheck"] == "false"
    assert dom.by_id("id_phone").attrs["inputmode"] == "tel"
    assert dom.by_id("id_tokens").attrs["min"] == "0"

    password = dom.by_id("id_password")
    assert password.attrs["type"] == "password"
    assert {"nhsuk-input", "nhsuk-password-input__input"} <= set(password.classes)
    assert password.attrs["autocomplete"] == "current-password"
    group = password.closest(cls="nhsuk-form-group")
    assert group.attrs["data-module"] == "nhsuk-password-input"
    toggle = group.find("button", cls="nhsuk-password-input__toggle")
    assert toggle.attrs["aria-controls"] == "id_password"
    assert toggle.attrs["type"] == "button"

    notes = dom.by_id("id_notes")
    assert notes.tag == "textarea"
    assert "nhsuk-textarea" in notes.classes
    count = notes.closest(cls="nhsuk-character-count")
    assert count.attrs["data-module"] == "nhsuk-character-count"
    assert count.attrs["data-maxlength"] == "200"
    assert notes.attrs["aria-describedby"] == "id_notes-info"
    assert dom.by_id("id_notes-info").text == "You can enter up to 200 characters"

    region = dom.by_id("id_region")
    assert region.tag == "select"
    assert "nhsuk-select" in region.classes
    assert [option.text for option in region.find_all("option")] == [
        "Choose an ICB area",
        "North East",
        "London",
    ]


@pytest.mark.parametrize("render", [render_tag, render_filter])
def test_unbound_groups_are_fieldsets_with_legends(render):
    dom = render(KitchenSinkForm())

    radios = dom.find(cls="nhsuk-radios")
    assert radios.attrs["data-module"] == "nhsuk-radios"
    fieldset = radios.closest("fieldset")
    assert fieldset.find("legend").text == "Job role"
    assert "nhsuk-fieldset__legend" in fieldset.find("legend").classes
    assert fieldset.attrs["aria-describedby"] == "id_job_role-hint"
    inputs = radios.find_all("input")
    assert [i.attrs["id"] for i in inputs] == ["id_job_role_0", "id_job_role_1"]
    assert all(i.attrs["type"] == "radio" and i.classes == ["nhsuk-radios__input"] for i in inputs)
    assert all(i.attrs["name"] == "job_role" for i in inputs)
    assert dom.find("label", for_="id_job_role_1").text == "Pharmacy technician"
    assert "nhsuk-radios__label" in dom.find("label", for_="id_job_role_1").classes

    checkboxes = dom.find_all(cls="nhsuk-checkboxes")[0]
    assert checkboxes.closest("fieldset").find("legend").text == "Services"
    boxes = checkboxes.find_all("input")
    assert [b.attrs["value"] for b in boxes] == ["eps", "scr", "nhsmail"]
    assert all(b.classes == ["nhsuk-checkboxes__input"] for b in boxes)

    agree = dom.by_id("id_agree")
    assert agree.attrs["type"] == "checkbox"
    assert "nhsuk-checkboxes__input" in agree.classes
    item = agree.closest(cls="nhsuk-checkboxes__item")
    assert item.find("label").text == "I have read the smartcard terms"
    assert item.closest(cls="nhsuk-checkboxes").attrs["data-module"] == "nhsuk-checkboxes"
    assert agree.closest("fieldset") is None
    assert agree.attrs["aria-describedby"] == "id_agree-hint"
    assert "nhsuk-checkboxes__hint" in dom.by_id("id_agree-hint").classes

    date = dom.find(cls="nhsuk-date-input")
    fieldset = date.closest("fieldset")
    assert fieldset.attrs["role"] == "group"
    assert fieldset.find("legend").text == "When does the token expire?"
    assert fieldset.attrs["aria-describedby"] == "id_expiry-hint"
    parts = date.find_all("input")
    assert [p.attrs["id"] for p in parts] == ["id_expiry", "id_expiry_month", "id_expiry_year"]
    assert [p.attrs["name"] for p in parts] == ["expiry_day", "expiry_month", "expiry_year"]
    assert [dom.find("label", for_=p.attrs["id"]).text for p in parts] == ["Day", "Month", "Year"]
    assert all(p.attrs["inputmode"] == "numeric" and p.attrs["type"] == "text" for p in parts)
    widths = [[c for c in p.classes if c.startswith("nhsuk-input--width-")] for p in parts]
    assert widths == [["nhsuk-input--width-2"], ["nhsuk-input--width-2"], ["nhsuk-input--width-4"]]
    assert all({"nhsuk-input", "nhsuk-date-input__input"} <= set(p.classes) for p in parts)


@pytest.mark.parametrize("render", [render_tag, render_filter])
def test_unbound_file_and_hidden_fields(render):
    dom = render(KitchenSinkForm())
    for id_ in ("id_evidence", "id_photo"):
        upload = dom.by_id(id_)
        assert upload.attrs["type"] == "file"
        assert "nhsuk-file-upload__input" in upload.classes
        group = upload.closest(cls="nhsuk-form-group")
        assert "nhsuk-file-upload" in group.classes
        assert group.attrs["data-module"] == "nhsuk-file-upload"
    # Clearable file input: no "Currently"/"Clear" text when there is no file yet.
    assert "Currently" not in dom.text
    hidden = dom.by_id("id_next_url")
    assert hidden.attrs["type"] == "hidden"
    assert hidden.closest(cls="nhsuk-form-group") is None


class _StoredFile:
    """Enough of a FieldFile for ClearableFileInput."""

    url = "/media/evidence/rota.pdf"

    def __str__(self):
        return "rota.pdf"


def test_stored_file_is_linked_with_a_box_to_remove_it():
    class UploadForm(forms.Form):
        rota = forms.FileField(label="Staff rota", required=False)

    dom = render_tag(UploadForm(initial={"rota": _StoredFile()}))
    assert_accessible_structure(dom)
    upload = dom.by_id("id_rota")
    assert "value" not in upload.attrs  # a file input never has a value
    assert dom.find("a", href="/media/evidence/rota.pdf").text == "rota.pdf"
    remove = dom.find("input", name="rota-clear")
    assert remove.attrs["type"] == "checkbox"
    assert "nhsuk-checkboxes__input" in remove.classes
    assert dom.find("label", for_=remove.attrs["id"]).text == "Remove the current file"
    # The remove box sits outside the enhanced upload, which takes its first <input>.
    assert remove.closest(cls="nhsuk-file-upload") is None


def test_hidden_labels_stay_for_screen_readers():
    form = KitchenSinkForm()
    form.helper.form_show_labels = False
    dom = render_tag(form)
    assert "nhsuk-u-visually-hidden" in dom.find("label", for_="id_full_name").classes
    legend = dom.by_id("id_job_role_0").closest("fieldset").find("legend")
    assert "nhsuk-u-visually-hidden" in legend.classes


def test_crispy_tag_draws_form_with_csrf_novalidate_and_nhsuk_button():
    html = render_crispy_form(KitchenSinkForm(), context={"csrf_token": "tok"})
    dom = parse(html)
    form = dom.find("form")
    assert form.attrs["method"] == "post"
    assert "novalidate" in form.attrs
    assert form.attrs["enctype"] == "multipart/form-data"
    assert form.find("input", name="csrfmiddlewaretoken")
    button = form.find("button", type="submit")
    assert "nhsuk-button" in button.classes
    assert not [c for c in button.classes if c.startswith("btn")]
    assert button.attrs["data-module"] == "nhsuk-button"
    assert button.text == "Save"


def test_initial_values_are_shown():
    form = KitchenSinkForm(
        initial={
            "full_name": "Mary Seacole",
            "job_role": "pharmacist",
            "services": ["scr"],
            "agree": True,
            "region": "ne",
            "expiry": datetime.date(2026, 3, 7),
        }
    )
    dom = render_tag(form)
    assert dom.by_id("id_full_name").attrs["value"] == "Mary Seacole"
    assert "checked" in dom.by_id("id_job_role_0").attrs
    assert "checked" not in dom.by_id("id_job_role_1").attrs
    assert "checked" in dom.by_id("id_services_1").attrs
    assert "checked" in dom.by_id("id_agree").attrs
    assert "selected" in dom.by_id("id_region").find("option", value="ne").attrs
    assert [
        dom.by_id(i).attrs.get("value") for i in ("id_expiry", "id_expiry_month", "id_expiry_year")
    ] == [
        "7",
        "3",
        "2026",
    ]


# --- Bound, with errors ------------------------------------------------------------------------


class ErrorsForm(KitchenSinkForm):
    def clean(self):
        cleaned = super().clean()
        raise ValidationError("Check the whole form")
        return cleaned


def bad_data():
    data = dict(GOOD_DATA)
    data.update(
        {
            "full_name": "",
            "email": "not an email",
            "notes": "x" * 201,
            "region": "",
            "job_role": "",
            "services": [],
            "agree": "",
            "expiry_day": "31",
            "expiry_month": "",
            "expiry_year": "2026",
        }
    )
    data.pop("services")
    data.pop("job_role")
    data.pop("agree")
    return data


@pytest.mark.parametrize("render", [render_tag, render_filter])
def test_error_summary_links_to_each_fields_first_input(render):
    form = ErrorsForm(data=bad_data(), files={})
    assert not form.is_valid()
    dom = render(form)
    assert_accessible_structure(dom)

    summary = dom.find(cls="nhsuk-error-summary")
    assert summary.attrs["data-module"] == "nhsuk-error-summary"
    alert = summary.find(role="alert")
    assert alert.find("h2", cls="nhsuk-error-summary__heading").text == "There is a problem"
    items = alert.find("ul", cls="nhsuk-error-summary__list").find_all("li")
    # The non-field error comes first, with no link.
    assert items[0].text == "Check the whole form"
    assert not items[0].find_all("a")
    links = [(a.attrs["href"], a.text) for a in alert.find_all("a")]
    expected_fields = [
        "full_name",
        "email",
        "notes",
        "region",
        "job_role",
        "services",
        "agree",
        "evidence",
        "expiry",
    ]
    assert [href for href, _text in links] == [
        "#" + (FIELD_IDS[name] if name != "expiry" else "id_expiry_month")
        for name in expected_fields
    ]
    assert ("#id_expiry_month", "Date must include a month") in links
    assert ("#id_notes", "Ensure this value has at most 200 characters (it has 201).") in links
    # The summary comes before the first field.
    nodes = list(dom.iter())
    assert nodes.index(summary) < nodes.index(dom.by_id("id_full_name"))


@pytest.mark.parametrize("render", [render_tag, render_filter])
def test_fields_in_error_have_nhsuk_error_markup(render):
    form = ErrorsForm(data=bad_data(), files={})
    form.is_valid()
    dom = render(form)

    for name, control_class in [
        ("full_name", "nhsuk-input--error"),
        ("email", "nhsuk-input--error"),
        ("notes", "nhsuk-textarea--error"),
        ("region", "nhsuk-select--error"),
    ]:
        control = dom.by_id(f"id_{name}")
        assert control_class in control.classes, name
        assert "nhsuk-form-group--error" in control.closest(cls="nhsuk-form-group").classes
        error = dom.by_id(f"id_{name}-error")
        assert error.tag == "span"
        assert "nhsuk-error-message" in error.classes
        hidden = error.find("span", cls="nhsuk-u-visually-hidden")
        assert hidden.text == "Error:"
        assert f"id_{name}-error" in control.attrs["aria-describedby"].split()
        assert control.attrs["aria-invalid"] == "true"

    # Hint first, then the error, as NHS.UK does.
    assert (
        dom.by_id("id_full_name").attrs["aria-describedby"]
        == "id_full_name-hint id_full_name-error"
    )
    assert dom.by_id("id_notes").attrs["aria-describedby"] == "id_notes-info id_notes-error"
    assert dom.by_id("id_full_name-error").text == "Error: This field is required."

    for name in ("job_role", "services", "expiry"):
        fieldset = dom.by_id(f"id_{name}-error").closest("fieldset")
        assert f"id_{name}-error" in fieldset.attrs["aria-describedby"].split()
        assert "nhsuk-form-group--error" in fieldset.closest(cls="nhsuk-form-group").classes
    for radio in dom.find(cls="nhsuk-radios").find_all("input"):
        assert "aria-invalid" not in radio.attrs

    agree = dom.by_id("id_agree")
    assert "nhsuk-form-group--error" in agree.closest(cls="nhsuk-form-group").classes
    assert agree.attrs["aria-describedby"] == "id_agree-hint id_agree-error"

    evidence = dom.by_id("id_evidence")
    assert "nhsuk-form-group--error" in evidence.closest(cls="nhsuk-form-group").classes
    assert "id_evidence-error" in evidence.attrs["aria-describedby"].split()

    # Only the missing month is marked, and only it is aria-invalid.
    day, month, year = (dom.by_id(i) for i in ("id_expiry", "id_expiry_month", "id_expiry_year"))
    assert "nhsuk-input--error" in month.classes
    assert month.attrs["aria-invalid"] == "true"
    assert "nhsuk-form-group--error" in month.closest(cls="nhsuk-form-group").classes
    for part in (day, year):
        assert "nhsuk-input--error" not in part.classes
        assert "aria-invalid" not in part.attrs
        assert "nhsuk-form-group--error" not in part.closest(cls="nhsuk-form-group").classes


def test_what_was_typed_is_shown_again_after_an_error():
    data = dict(GOOD_DATA)
    data.update({"expiry_day": "31", "expiry_month": "2", "expiry_year": "2024", "email": "nope"})
    form = KitchenSinkForm(data=data, files={"evidence": SimpleUploadedFile("a.txt", b"x")})
    assert not form.is_valid()
    assert form.errors["expiry"] == ["Enter a real date"]
    dom = render_tag(form)
    assert dom.by_id("id_full_name").attrs["value"] == "Florence Nightingale"
    assert dom.by_id("id_email").attrs["value"] == "nope"
    assert dom.by_id("id_notes").text == "Keeps the <b>tokens</b> safe"
    assert "selected" in dom.by_id("id_region").find("option", value="ld").attrs
    assert "checked" in dom.by_id("id_job_role_1").attrs
    assert "checked" in dom.by_id("id_services_0").attrs
    assert "checked" not in dom.by_id("id_services_1").attrs
    assert "checked" in dom.by_id("id_services_2").attrs
    assert "checked" in dom.by_id("id_agree").attrs
    assert "value" not in dom.by_id("id_password").attrs  # never sent back
    values = [
        dom.by_id(i).attrs.get("value") for i in ("id_expiry", "id_expiry_month", "id_expiry_year")
    ]
    assert values == ["31", "2", "2024"]
    # A real-date error is about the day: the link lands there.
    assert dom.find("a", href="#id_expiry").text == "Enter a real date"
    assert "nhsuk-input--error" in dom.by_id("id_expiry").classes


def test_odd_text_typed_into_a_date_is_kept_and_escaped():
    class DateForm(forms.Form):
        when = NHSDateField(label="When")

    form = DateForm(data={"when_day": '"><script>', "when_month": "٣", "when_year": "99999999999"})
    assert not form.is_valid()
    html = render_crispy_form(form)
    assert "<script>" not in html
    dom = parse(html)
    assert dom.by_id("id_when").attrs["value"] == '"><script>'
    assert dom.by_id("id_when_month").attrs["value"] == "٣"
    assert dom.by_id("id_when_year").attrs["value"] == "99999999999"


def test_whole_date_errors_mark_every_part():
    class EndForm(forms.Form):
        end = NHSDateField(label="End date")

        def clean_end(self):
            raise ValidationError("The end date must be after the start date")

    form = EndForm(data={"end_day": "1", "end_month": "2", "end_year": "2020"})
    assert not form.is_valid()
    dom = render_tag(form)
    for id_ in ("id_end", "id_end_month", "id_end_year"):
        assert "nhsuk-input--error" in dom.by_id(id_).classes
    assert dom.find("a", href="#id_end").text == "The end date must be after the start date"


def test_required_date_left_empty():
    class DateForm(forms.Form):
        when = NHSDateField(label="When")

    form = DateForm(data={"when_day": "", "when_month": " ", "when_year": ""})
    assert form.errors["when"] == ["Enter a date"]
    dom = render_tag(form)
    assert dom.find("a", href="#id_when").text == "Enter a date"
    assert all(
        "nhsuk-input--error" in dom.by_id(i).classes
        for i in ("id_when", "id_when_month", "id_when_year")
    )


def test_form_show_errors_false_hides_summary_and_messages():
    form = ErrorsForm(data=bad_data(), files={})
    form.helper.form_show_errors = False
    dom = render_tag(form)
    assert not dom.find_all(cls="nhsuk-error-summary")
    assert not dom.find_all(cls="nhsuk-error-message")


def test_hidden_field_errors_are_listed_without_a_link():
    class HiddenForm(forms.Form):
        step = forms.IntegerField(widget=forms.HiddenInput)

    form = HiddenForm(data={"step": "x"})
    dom = render_tag(form)
    item = dom.find(cls="nhsuk-error-summary__list").find("li")
    assert item.text == "Enter a whole number."
    assert not item.find_all("a")


# --- NHSDateField ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "message", "parts"),
    [
        ("", "Enter a date", None),
        (["", "", ""], "Enter a date", None),
        ([None, None, None], "Enter a date", None),
        (["  ", "\t", ""], "Enter a date", None),
        ("31/2/2024", "Enter a real date", ("day",)),
        (["31", "2", "2024"], "Enter a real date", ("day",)),
        (["29", "2", "2023"], "Enter a real date", ("day",)),
        (["0", "1", "2024"], "Enter a real date", ("day",)),
        (["1", "13", "2024"], "Enter a real date", ("month",)),
        (["1", "0", "2024"], "Enter a real date", ("month",)),
        (["1", "1", "0000"], "Enter a real date", ("year",)),
        (["ab", "cd", "efgh"], "Enter a real date", ("day", "month")),
        (["1", "1", "year"], "Enter a real date", ("year",)),
        (["1", "Smarch", "2024"], "Enter a real date", ("month",)),
        (["1.5", "1", "2024"], "Enter a real date", ("day",)),
        (["-1", "1", "2024"], "Enter a real date", ("day",)),
        (["²", "1", "2024"], "Enter a real date", ("day",)),
        (["1", "1", "24"], "Year must be 4 numbers", ("year",)),
        (["1", "1", "02024"], "Year must be 4 numbers", ("year",)),
        (["1", "1", "99999999999999999999"], "Year must be 4 numbers", ("year",)),
        (["99999999999999999999", "1", "2024"], "Enter a real date", ("day",)),
        (["1", "99999999999999999999", "2024"], "Enter a real date", ("month",)),
        (["1", "1", "٣"], "Year must be 4 numbers", ("year",)),
        (["1", "1", "9" * 5000], "Year must be 4 numbers", ("year",)),
        (["1", "", "2024"], "Date must include a month", ("month",)),
        (["", "3", "2024"], "Date must include a day", ("day",)),
        (["1", "3", ""], "Date must include a year", ("year",)),
        (["", "", "2024"], "Date must include a day and month", ("day", "month")),
        (["1", "", ""], "Date must include a month and year", ("month", "year")),
        (["1", "2"], "Enter a real date", ("day", "month", "year")),
        (["1", "2", "2024", "4"], "Enter a real date", ("day", "month", "year")),
        ("tomorrow", "Enter a real date", ("day", "month", "year")),
        ("1/2/3/4", "Enter a real date", ("day", "month", "year")),
        (12345, "Enter a real date", ("day", "month", "year")),
        ({"day": 1}, "Enter a real date", ("day", "month", "year")),
    ],
)
def test_date_field_gives_plain_english_errors(value, message, parts):
    field = NHSDateField()
    with pytest.raises(ValidationError) as caught:
        field.clean(value)
    assert caught.value.messages == [message]
    if parts is not None:
        assert caught.value.error_list[0].params["parts"] == parts


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (["27", "3", "2026"], datetime.date(2026, 3, 27)),
        (["07", "03", "2026"], datetime.date(2026, 3, 7)),
        ([" 7 ", " 3 ", " 2026 "], datetime.date(2026, 3, 7)),
        (["29", "2", "2024"], datetime.date(2024, 2, 29)),
        (["1", "Mar", "2026"], datetime.date(2026, 3, 1)),
        (["1", "september", "2026"], datetime.date(2026, 9, 1)),
        # Arabic-Indic digits: 3, 1, 2024.
        (["\u0663", "\u0661", "\u0662\u0660\u0662\u0664"], datetime.date(2024, 1, 3)),
        ([1, 2, 2026], datetime.date(2026, 2, 1)),
        ("27/3/2026", datetime.date(2026, 3, 27)),
        ("27 March 2026", datetime.date(2026, 3, 27)),
        ("2026-03-27", datetime.date(2026, 3, 27)),
        (datetime.date(2026, 3, 27), datetime.date(2026, 3, 27)),
        (datetime.datetime(2026, 3, 27, 9, 30), datetime.date(2026, 3, 27)),
    ],
)
def test_date_field_returns_a_date(value, expected):
    assert NHSDateField().clean(value) == expected


def test_optional_date_field_may_be_left_empty():
    assert NHSDateField(required=False).clean(["", "", ""]) is None


def test_date_field_messages_can_be_overridden():
    field = NHSDateField(
        error_messages={
            "required": "Enter the date the membership ends",
            "incomplete": "The end date must include a %(missing)s",
        }
    )
    with pytest.raises(ValidationError, match="Enter the date the membership ends"):
        field.clean(["", "", ""])
    with pytest.raises(ValidationError, match="The end date must include a day and year"):
        field.clean(["", "3", ""])


def _clean_date_or_message(field, value):
    """The error message cleaning gives, or "" for a good (or empty) date. Any exception
    other than ValidationError fails the test."""
    try:
        result = field.clean(value)
    except ValidationError as error:
        return error.messages[0]
    assert result is None or isinstance(result, datetime.date)
    return ""


def test_date_field_raises_only_validation_error_whatever_is_posted():
    plain_messages = {"", "Enter a real date", "Year must be 4 numbers"}
    # Digits in other scripts, superscripts, fractions, odd spaces, NUL, markup.
    alphabet = (
        "0123456789 /-.\u0663\u0661\u00b2\u00bdabcXYZ\x00\u00a0\u2007\ufeff\U0001d7d7%()'\"<>"
    )
    rng = random.Random(20260327)
    field = NHSDateField(required=False)

    class DateForm(forms.Form):
        when = NHSDateField(label="When")

    for _ in range(2000):
        parts = [
            "".join(rng.choice(alphabet) for _ in range(rng.choice([0, 1, 2, 3, 4, 5, 30])))
            for _ in range(3)
        ]
        for value in (parts, "/".join(parts)):
            message = _clean_date_or_message(field, value)
            assert message in plain_messages or message.startswith("Date must include a ")
        form = DateForm(data=dict(zip(("when_day", "when_month", "when_year"), parts, strict=True)))
        form.is_valid()
        render_crispy_form(form)  # redisplaying never fails either


def test_date_field_has_changed():
    field = NHSDateField()
    initial = datetime.date(2026, 3, 27)
    assert not field.has_changed(initial, ["27", "3", "2026"])
    assert field.has_changed(initial, ["28", "3", "2026"])
    assert field.has_changed(initial, ["31", "2", "2026"])


def test_date_widget_posted_names_and_single_value():
    widget = NHSDateInput()
    data = {"when_day": "1", "when_month": "2", "when_year": "2026"}
    assert widget.value_from_datadict(data, {}, "when") == ["1", "2", "2026"]
    assert widget.value_from_datadict({"when": "2026-02-01"}, {}, "when") == "2026-02-01"
    assert widget.value_omitted_from_data({}, {}, "when")
    assert not widget.value_omitted_from_data({"when_year": ""}, {}, "when")
    assert widget.decompress(datetime.date(2026, 2, 1)) == ["1", "2", "2026"]
    assert widget.decompress("2026-02-01") == ["01", "02", "2026"]
    assert widget.decompress(None) == [None, None, None]


def test_date_widget_renders_alone_with_labels_and_autocomplete():
    class BirthForm(forms.Form):
        born = NHSDateField(label="Date of birth", widget=NHSDateInput(autocomplete="bday"))

    dom = parse(str(BirthForm()["born"]))
    inputs = dom.find(cls="nhsuk-date-input").find_all("input")
    assert [i.attrs["autocomplete"] for i in inputs] == ["bday-day", "bday-month", "bday-year"]
    assert [dom.find("label", for_=i.attrs["id"]).text for i in inputs] == ["Day", "Month", "Year"]
    assert BirthForm()["born"].id_for_label == "id_born"


def test_submit_variants_keep_their_class():
    class WarningForm(forms.Form):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.helper = FormHelper()
            self.helper.add_input(Submit("delete", "Delete", css_class="nhsuk-button--warning"))

    button = parse(render_crispy_form(WarningForm())).find("button")
    assert button.classes == ["nhsuk-button", "nhsuk-button--warning"]


def test_as_crispy_field_renders_one_field():
    form = KitchenSinkForm()
    html = Template("{% load crispy_forms_tags %}{{ form.expiry|as_crispy_field }}").render(
        Context({"form": form})
    )
    assert parse(html).find(cls="nhsuk-date-input")


# --- Filters and tags -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (
            '{% nhsuk_tag "Active" "green" %}',
            '<strong class="nhsuk-tag nhsuk-tag--green">Active</strong>',
        ),
        (
            '{% nhsuk_tag "Overdue" "RED" %}',
            '<strong class="nhsuk-tag nhsuk-tag--red">Overdue</strong>',
        ),
        (
            '{% nhsuk_tag "Due" "aqua_green" %}',
            '<strong class="nhsuk-tag nhsuk-tag--aqua-green">Due</strong>',
        ),
        ('{% nhsuk_tag "Plain" %}', '<strong class="nhsuk-tag">Plain</strong>'),
        ('{% nhsuk_tag "Odd" "tartan" %}', '<strong class="nhsuk-tag">Odd</strong>'),
        (
            "{% nhsuk_tag text 'grey' %}",
            '<strong class="nhsuk-tag nhsuk-tag--grey">&lt;b&gt;</strong>',
        ),
    ],
)
def test_nhsuk_tag(source, expected):
    # A builtin: no {% load %} needed.
    assert Template(source).render(Context({"text": "<b>"})) == expected


# --- Includes -------------------------------------------------------------------------------------


def test_back_link_include():
    dom = parse(render_to_string("includes/back_link.html", {"href": "/premises/"}))
    link = dom.find("a")
    assert link.classes == ["nhsuk-back-link"]
    assert link.attrs["href"] == "/premises/"
    assert link.text == "Back"
    other = parse(render_to_string("includes/back_link.html", {"href": "/", "text": "Go back"}))
    assert other.find("a").text == "Go back"


def test_breadcrumbs_include():
    crumbs = [("Home", "/"), ("Premises", "/premises/"), ("Boots, High Street", "/premises/1/")]
    dom = parse(render_to_string("includes/breadcrumbs.html", {"crumbs": crumbs}))
    nav = dom.find("nav", cls="nhsuk-breadcrumb")
    assert nav.attrs["aria-label"] == "Breadcrumb"
    items = nav.find("ol", cls="nhsuk-breadcrumb__list").find_all("li")
    assert [item.text for item in items] == ["Home", "Premises", "Boots, High Street"]
    assert [a.attrs["href"] for a in nav.find_all("a", cls="nhsuk-breadcrumb__link")] == [
        "/",
        "/premises/",
    ]
    assert items[-1].attrs["aria-current"] == "page"
    assert not items[-1].find_all("a")
    back = nav.find("a", cls="nhsuk-back-link")
    assert back.attrs["href"] == "/premises/"
    assert back.text == "Back to Premises"
    assert render_to_string("includes/breadcrumbs.html", {"crumbs": []}).strip() == ""


def test_base_layout_renders_header_navigation_messages_and_scripts(rf):
    request = rf.get("/premises/")
    request.csp_nonce = "n0nce"
    user = SimpleNamespace(
        is_authenticated=True, full_name="Florence Nightingale", email="f@example.nhs.uk"
    )
    nav_items = [
        SimpleNamespace(label="Home", url="/", active=False),
        SimpleNamespace(label="Premises", url="/premises/", active=True),
    ]
    messages = [_Message("success", "Premises saved"), _Message("info", "Check the address")]
    html = render_to_string(
        "base.html",
        {"user": user, "nav_items": nav_items, "messages": messages, "csrf_token": "tok"},
        request=request,
    )
    dom = parse(html)
    assert_accessible_structure(dom)
    assert dom.find("html").attrs["lang"] == "en"
    assert dom.find("title").text == "\u2013 Pharmacy Digital Portal \u2013 NHS"
    assert dom.find("script", nonce="n0nce")
    assert dom.find("a", cls="nhsuk-skip-link").attrs["href"] == "#maincontent"
    assert dom.by_id("maincontent").tag == "main"
    header = dom.find("header", cls="nhsuk-header")
    assert header.find(cls="nhsuk-header__service-name").text == "Pharmacy Digital Portal"
    assert header.find("a", cls="nhsuk-header__service-logo").attrs["href"] == "/"
    account = header.find("nav", cls="nhsuk-header__account")
    assert "Florence Nightingale" in account.text
    sign_out = account.find("form")
    assert sign_out.attrs["method"] == "post"
    assert sign_out.find("input", name="csrfmiddlewaretoken")
    assert sign_out.find("button").text == "Sign out"
    current = header.find("a", aria_current="page")
    assert current.text == "Premises"
    assert len(header.find_all("a", cls="nhsuk-header__navigation-link")) == 2
    banners = dom.find_all(cls="nhsuk-notification-banner")
    assert banners[0].attrs["role"] == "alert"
    assert "nhsuk-notification-banner--success" in banners[0].classes
    assert banners[1].attrs["role"] == "region"
    assert banners[1].find("p").text == "Check the address"
    assert dom.find("footer").find("a").text == "Accessibility statement"
    assert not [node for node in dom.iter() if "style" in node.attrs or node.tag == "style"]
    scripts = [node.attrs.get("src", "") for node in dom.find_all("script")]
    assert scripts[1:] == [
        "/static/nhsuk/nhsuk-frontend.min.js",
        "/static/js/init.js",
        "/static/htmx/htmx.min.js",
    ]
    assert (
        dom.find("meta", name="htmx-config").attrs["content"] == '{"includeIndicatorStyles": false}'
    )


def test_base_layout_for_anonymous_user_has_no_account_or_navigation(rf):
    request = rf.get("/account/sign-in/")
    html = render_to_string(
        "base.html",
        {"user": SimpleNamespace(is_authenticated=False), "nav_items": []},
        request=request,
    )
    dom = parse(html)
    assert not dom.find_all(cls="nhsuk-header__account")
    assert not dom.find_all(cls="nhsuk-header__navigation")


class _Message:
    def __init__(self, level_tag, text):
        self.level_tag = level_tag
        self.text = text

    def __str__(self):
        return self.text

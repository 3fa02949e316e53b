"""A date asked for the NHS.UK way: three boxes for day, month and year.

``NHSDateField`` cleans to a ``datetime.date``; its widget ``NHSDateInput`` draws the
NHS.UK date input. The crispy-forms "nhsuk" pack wraps it in a fieldset whose legend is
the field's label, with the hint and error message, and marks only the boxes in error.

    end_date = NHSDateField(
        label="When does this membership end?",
        help_text="For example, 27 3 2026",
    )

The day box has the field's own id (``id_end_date``), so links to the field land on it;
the month and year boxes are ``id_end_date_month`` and ``id_end_date_year``. The posted
names are ``end_date_day``, ``end_date_month`` and ``end_date_year``.
"""

import datetime
import re

from django import forms
from django.core.exceptions import ValidationError
from django.forms.utils import flatatt
from django.template.loader import render_to_string
from django.utils.html import format_html

PART_NAMES = ("day", "month", "year")

MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}

_SEPARATORS = re.compile(r"[\s/.\-]+")


def split_date_text(text):
    """ "27/3/2026", "27 March 2026" or "2026-03-27" as [day, month, year] strings."""
    parts = [part for part in _SEPARATORS.split(text.strip()) if part]
    if len(parts) == 3 and len(parts[0]) == 4 and parts[0].isdecimal():
        parts.reverse()
    return parts


class NHSDateInput(forms.MultiWidget):
    """Three text inputs (day, month, year) marked up as an NHS.UK date input.

    ``autocomplete`` sets the boxes' autocomplete tokens, for example
    ``NHSDateInput(autocomplete="bday")`` for a date of birth.
    """

    is_nhsuk_date_input = True
    template_name = "nhsuk/widgets/date_input.html"
    PARTS = (("day", "Day", 2), ("month", "Month", 2), ("year", "Year", 4))

    def __init__(self, attrs=None, autocomplete=None):
        widgets = {}
        for name, _label, _width in self.PARTS:
            part_attrs = {"inputmode": "numeric"}
            if autocomplete:
                part_attrs["autocomplete"] = f"{autocomplete}-{name}"
            widgets[name] = forms.TextInput(attrs=part_attrs)
        super().__init__(widgets, attrs)

    def decompress(self, value):
        if isinstance(value, str) and value.strip():
            # A date as text, such as an ISO initial value or a single posted string:
            # shown in the boxes as typed, so nothing is lost.
            parts = split_date_text(value)
            return parts if len(parts) == 3 else [value, None, None]
        if isinstance(value, datetime.date):
            return [str(value.day), str(value.month), str(value.year)]
        return [None, None, None]

    def value_from_datadict(self, data, files, name):
        values = super().value_from_datadict(data, files, name)
        if all(value is None for value in values) and name in data:
            # A single value posted under the field's own name, such as "2026-03-27".
            return data.get(name)
        return values

    def value_omitted_from_data(self, data, files, name):
        return name not in data and super().value_omitted_from_data(data, files, name)

    def id_for_label(self, id_):
        return id_

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        widget = context["widget"]
        id_ = widget["attrs"].get("id")
        extra_class = widget["attrs"].get("class", "")
        for (part, label, width), sub in zip(self.PARTS, widget["subwidgets"], strict=True):
            sub["part"] = part
            sub["label"] = label
            if id_:
                sub["attrs"]["id"] = id_ if part == "day" else f"{id_}_{part}"
            classes = [
                "nhsuk-input",
                "nhsuk-date-input__input",
                f"nhsuk-input--width-{width}",
                *(c for c in extra_class.split() if not c.startswith("nhsuk-input--width-")),
            ]
            sub["attrs"]["class"] = " ".join(dict.fromkeys(classes))
        return context

    def nhsuk_parts(self, name, value, attrs=None, error_parts=()):
        """Dicts for templates/nhsuk/widgets/date_input.html: ``part``, ``label``, ``id``,
        ``error`` and ``input`` (the rendered <input>). ``error_parts`` names the boxes to
        mark as wrong."""
        parts = []
        for sub in self.get_context(name, value, attrs)["widget"]["subwidgets"]:
            sub_attrs = dict(sub["attrs"])
            # The fieldset around the boxes carries the hint and the error message.
            sub_attrs.pop("aria-describedby", None)
            sub_attrs.pop("aria-invalid", None)
            error = sub["part"] in error_parts
            classes = sub_attrs.pop("class", "") + (" nhsuk-input--error" if error else "")
            input_attrs = {
                "class": classes,
                "id": sub_attrs.pop("id", None),
                "name": sub["name"],
                "type": sub["type"],
                "value": sub["value"],
                **sub_attrs,
            }
            if error:
                input_attrs["aria-invalid"] = "true"
            parts.append(
                {
                    "part": sub["part"],
                    "label": sub["label"],
                    "id": input_attrs["id"] or "",
                    "error": error,
                    "input": format_html("<input{}>", flatatt(input_attrs)),
                }
            )
        return parts

    def render(self, name, value, attrs=None, renderer=None):
        # The project's template engine, not the form renderer: the template lives in
        # templates/nhsuk/, which the default form renderer does not search.
        return render_to_string(self.template_name, {"parts": self.nhsuk_parts(name, value, attrs)})


class NHSDateField(forms.Field):
    """A date typed into NHS.UK day, month and year boxes, cleaned to a ``datetime.date``.

    Errors are plain English and name the boxes in error (``params["parts"]``), so the
    template marks only those. Whatever is posted, cleaning raises nothing but
    ValidationError. Day and month may be one or two digits, the month may also be a name
    ("3", "03", "Mar", "March"); the year must be 4 digits. What the user typed is shown
    again after an error.

    Override messages with ``error_messages``, for example
    ``{"required": "Enter the date the membership ends"}``; "incomplete" gets
    ``%(missing)s`` ("month", "day and year"...).
    """

    widget = NHSDateInput
    default_error_messages = {
        "required": "Enter a date",
        "incomplete": "Date must include a %(missing)s",
        "invalid": "Enter a real date",
        "year_length": "Year must be 4 numbers",
    }

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, datetime.datetime):
            return value.date()
        if isinstance(value, datetime.date):
            return value
        if isinstance(value, str):
            parts = split_date_text(value)
        elif isinstance(value, (list, tuple)):
            parts = list(value)
        else:
            raise self._error("invalid", PART_NAMES)
        if len(parts) != 3:
            raise self._error("invalid", PART_NAMES)

        day, month, year = (self._text(part) for part in parts)
        if not (day or month or year):
            return None
        missing = [
            name for name, text in zip(PART_NAMES, (day, month, year), strict=True) if not text
        ]
        if missing:
            raise self._error("incomplete", missing, missing=" and ".join(missing))

        day_number = self._number(day, max_digits=2)
        month_number = MONTHS.get(month.lower()) or self._number(month, max_digits=2)
        wrong = [
            name
            for name, number in (("day", day_number), ("month", month_number))
            if number is None
        ]
        if wrong:
            raise self._error("invalid", wrong)
        if not (year.isdecimal() and len(year) == 4):
            if year.isdecimal():
                raise self._error("year_length", ["year"])
            raise self._error("invalid", ["year"])

        if not 1 <= month_number <= 12:
            raise self._error("invalid", ["month"])
        try:
            return datetime.date(int(year), month_number, day_number)
        except (ValueError, OverflowError):
            # The day is past the end of the month (31 2 2024), or the year is 0000.
            raise self._error("invalid", ["year"] if int(year) < 1 else ["day"]) from None

    def has_changed(self, initial, data):
        if self.disabled:
            return False
        try:
            return self.to_python(initial) != self.to_python(data)
        except ValidationError:
            return True

    def _error(self, code, parts, **params):
        return ValidationError(
            self.error_messages[code], code=code, params={"parts": tuple(parts), **params}
        )

    @staticmethod
    def _text(part):
        if part is None:
            return ""
        return str(part).strip()

    @staticmethod
    def _number(text, *, max_digits):
        """The number in a box of at most max_digits digits, else None. Any script's
        decimal digits count; "²" and "½" do not."""
        if not text.isdecimal() or len(text) > max_digits:
            return None
        return int(text)

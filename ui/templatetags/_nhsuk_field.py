"""One form field as the NHS.UK field templates need it: its kind, the ids of its first
input, hint and error, ``aria-describedby``, CSS classes, and the control itself
(``NHSField``, which ``{% nhsuk_field %}`` in ui/templatetags/nhsuk.py gives templates).
"""

from functools import cached_property

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html

# Kinds of field, each rendered by templates/nhsuk/field/<template>.html.
HIDDEN = "hidden"
DATE = "date"
RADIOS = "radios"
CHECKBOXES = "checkboxes"
CHECKBOX = "checkbox"
FILE = "file"
SELECT = "select"
TEXTAREA = "textarea"
PASSWORD = "password"
INPUT = "input"

_TEMPLATES = {
    DATE: "date",
    RADIOS: "choices",
    CHECKBOXES: "choices",
    CHECKBOX: "checkbox",
    FILE: "file",
    SELECT: "input",
    TEXTAREA: "textarea",
    PASSWORD: "password",
    INPUT: "input",
}

# The class every control of a kind gets, and the one it gets when the field has an error.
_CONTROL_CLASSES = {
    INPUT: ("nhsuk-input", "nhsuk-input--error"),
    PASSWORD: (
        "nhsuk-input nhsuk-password-input__input nhsuk-js-password-input-input",
        "nhsuk-input--error",
    ),
    TEXTAREA: ("nhsuk-textarea", "nhsuk-textarea--error"),
    SELECT: ("nhsuk-select", "nhsuk-select--error"),
    FILE: ("nhsuk-file-upload__input", ""),
    CHECKBOX: ("nhsuk-checkboxes__input", ""),
}


def _join_classes(*groups):
    """Join space-separated class lists, dropping blanks and repeats, keeping order."""
    seen = []
    for group in groups:
        for name in str(group or "").split():
            if name not in seen:
                seen.append(name)
    return " ".join(seen)


def _widget_of(bound_field):
    field = getattr(bound_field, "field", None)
    return getattr(field, "widget", None)


def _kind(widget):
    if widget is None:
        return ""
    if widget.is_hidden:
        return HIDDEN
    if getattr(widget, "is_nhsuk_date_input", False):
        return DATE
    # CheckboxSelectMultiple is a RadioSelect, and RadioSelect is a Select: order matters.
    if isinstance(widget, forms.CheckboxSelectMultiple):
        return CHECKBOXES
    if isinstance(widget, forms.RadioSelect):
        return RADIOS
    if isinstance(widget, forms.CheckboxInput):
        return CHECKBOX
    if isinstance(widget, forms.FileInput):
        return FILE
    if isinstance(widget, forms.Select):
        return SELECT
    if isinstance(widget, forms.Textarea):
        return TEXTAREA
    if isinstance(widget, forms.PasswordInput):
        return PASSWORD
    return INPUT


class NHSField:
    """What an NHS.UK field template needs to know about one bound field.

    Ids follow NHS.UK frontend: the hint is ``<id>-hint``, the error message
    ``<id>-error`` and a character count's message ``<id>-info``, where ``<id>`` is the
    field's id (``id_<name>`` by default).
    """

    def __init__(
        self,
        bound_field,
        *,
        show_errors=True,
        show_label=True,
        label_class="",
        wrapper_class="",
    ):
        self.field = bound_field
        self.widget = bound_field.field.widget
        self.kind = _kind(self.widget)
        self.show_label = show_label is not False
        self.label_size_class = label_class or ""
        self.wrapper_class = wrapper_class or ""
        self.errors = [str(error) for error in bound_field.errors] if show_errors else []
        self.has_error = bool(self.errors)

    def __str__(self):
        return self.field.html_name

    @property
    def template(self):
        return f"nhsuk/field/{_TEMPLATES.get(self.kind, 'input')}.html"

    # Ids ----------------------------------------------------------------------------------

    @cached_property
    def base_id(self):
        return self.widget.attrs.get("id") or self.field.auto_id or f"id_{self.field.html_name}"

    @cached_property
    def id(self):
        """The id of the field's first input (or, for a date, of its first part in error):
        the label's target and where the error summary links to."""
        if self.kind in (RADIOS, CHECKBOXES):
            first = next((option for option in self.options if "id" in option), None)
            return first["id"] if first else self.base_id
        if self.kind == DATE:
            in_error = [part for part in self.parts if part["error"]]
            return (in_error or self.parts or [{"id": self.base_id}])[0]["id"]
        return self.base_id

    @property
    def hint_id(self):
        return f"{self.base_id}-hint" if self.field.help_text else ""

    @property
    def error_id(self):
        return f"{self.base_id}-error" if self.has_error else ""

    @cached_property
    def maxlength(self):
        """The limit shown by a character count, for a textarea that has one."""
        if self.kind != TEXTAREA:
            return None
        limit = self.widget.attrs.get("maxlength") or getattr(self.field.field, "max_length", None)
        try:
            return int(limit) if limit else None
        except (TypeError, ValueError):
            return None

    @property
    def info_id(self):
        return f"{self.base_id}-info" if self.maxlength else ""

    @cached_property
    def described_by(self):
        """aria-describedby for the control, or for the fieldset of a group."""
        own = ""
        if self.kind not in (RADIOS, CHECKBOXES, DATE):
            own = self.widget.attrs.get("aria-describedby", "")
        return _join_classes(own, self.info_id, self.hint_id, self.error_id)

    @property
    def uses_fieldset(self):
        return self.kind in (RADIOS, CHECKBOXES, DATE)

    # Classes ------------------------------------------------------------------------------

    @cached_property
    def group_attrs(self):
        """Attributes of the ``nhsuk-form-group`` wrapping the field, with a leading space."""
        classes = ["nhsuk-form-group"]
        attrs = {}
        if self.has_error:
            classes.append("nhsuk-form-group--error")
        if self.kind == FILE:
            classes.append("nhsuk-file-upload")
            attrs["data-module"] = "nhsuk-file-upload"
        elif self.kind == PASSWORD:
            classes.append("nhsuk-password-input")
            attrs["data-module"] = "nhsuk-password-input"
        elif self.maxlength:
            classes.append("nhsuk-character-count")
            attrs["data-module"] = "nhsuk-character-count"
            attrs["data-maxlength"] = str(self.maxlength)
        classes.append(self.wrapper_class)
        return flatatt({"class": _join_classes(*classes), **attrs})

    @property
    def label_class(self):
        return _join_classes(
            "nhsuk-label",
            self.label_size_class,
            "" if self.show_label else "nhsuk-u-visually-hidden",
        )

    @property
    def legend_class(self):
        size = self.label_size_class.replace("nhsuk-label--", "nhsuk-fieldset__legend--")
        return _join_classes(
            "nhsuk-fieldset__legend", size, "" if self.show_label else "nhsuk-u-visually-hidden"
        )

    # Controls -----------------------------------------------------------------------------

    @cached_property
    def control(self):
        """The rendered control, for every kind but radios, checkboxes and dates."""
        if self.kind not in _CONTROL_CLASSES:
            return ""
        base, error = _CONTROL_CLASSES[self.kind]
        classes = _join_classes(
            base,
            self.widget.attrs.get("class"),
            error if self.has_error else "",
            "nhsuk-js-character-count" if self.maxlength else "",
        )
        attrs = {"class": classes}
        if self.described_by and not self.uses_fieldset:
            attrs["aria-describedby"] = self.described_by
        if not self.field.auto_id and "id" not in self.widget.attrs:
            attrs["id"] = self.base_id
        if self.kind == PASSWORD:
            attrs.update(self._defaults(spellcheck="false", autocapitalize="none"))
        elif isinstance(self.widget, (forms.EmailInput, forms.URLInput)):
            attrs.update(self._defaults(spellcheck="false"))
        widget = None
        if isinstance(self.widget, forms.ClearableFileInput):
            # Just the <input type="file">: the current file and the box to remove it are
            # drawn by templates/nhsuk/field/file.html.
            widget = forms.FileInput(attrs=self.widget.attrs)
            widget.allow_multiple_selected = self.widget.allow_multiple_selected
            widget.is_required = self.widget.is_required
        return self.field.as_widget(widget=widget, attrs=attrs)

    def _defaults(self, **defaults):
        return {key: value for key, value in defaults.items() if key not in self.widget.attrs}

    @property
    def options_prefix(self):
        return "nhsuk-checkboxes" if self.kind == CHECKBOXES else "nhsuk-radios"

    @property
    def options_class(self):
        prefix = self.options_prefix
        return _join_classes(prefix, self.widget.attrs.get("class"))

    @cached_property
    def options(self):
        """The radios or checkboxes of a choice field: dicts with ``id``, ``label`` and
        ``input`` (the rendered <input>), or ``divider`` for an option group's name."""
        if self.kind not in (RADIOS, CHECKBOXES):
            return []
        bound = self.field
        attrs = bound.build_widget_attrs({"id": self.base_id})
        value = self.widget.format_value(bound.value())
        input_class = f"{self.options_prefix}__input"
        items = []
        for group_name, group, _index in self.widget.optgroups(bound.html_name, value, attrs):
            if group_name:
                items.append({"divider": group_name})
            for option in group:
                option_attrs = dict(option["attrs"])
                option_attrs.pop("class", None)
                # aria-invalid is not allowed on a radio; the fieldset carries the error.
                option_attrs.pop("aria-invalid", None)
                option_id = option_attrs.pop("id", None) or f"{self.base_id}_{option['index']}"
                checked = bool(option_attrs.pop("checked", False) or option["selected"])
                value = option["value"]
                input_attrs = {
                    "class": input_class,
                    "id": option_id,
                    "name": option["name"],
                    "type": option["type"],
                    "value": "" if value is None else str(value),
                    "checked": checked,
                    **option_attrs,
                }
                items.append(
                    {
                        "id": option_id,
                        "label": option["label"],
                        "checked": checked,
                        "input": format_html("<input{}>", flatatt(input_attrs)),
                    }
                )
        return items

    @cached_property
    def parts(self):
        """The day, month and year inputs of an NHSDateInput (see accounts/widgets.py)."""
        if self.kind != DATE:
            return []
        attrs = self.field.build_widget_attrs({"id": self.base_id})
        return self.widget.nhsuk_parts(
            self.field.html_name, self.field.value(), attrs, error_parts=self._date_error_parts()
        )

    def _date_error_parts(self):
        """The parts to mark as wrong: those NHSDateField named, else all of them."""
        if not self.has_error:
            return ()
        everything = tuple(name for name, _label, _width in self.widget.PARTS)
        named = set()
        for error in self.field.errors.as_data():
            params = getattr(error, "params", None) or {}
            parts = params.get("parts") if isinstance(params, dict) else None
            if not parts:
                return everything
            named.update(parts)
        return tuple(name for name in everything if name in named) or everything

    @cached_property
    def current_file(self):
        """For a ClearableFileInput showing a stored file: Django's widget context (with
        ``value``, ``checkbox_name``, ``checkbox_id``, ``required``), else None."""
        if not isinstance(self.widget, forms.ClearableFileInput):
            return None
        context = self.widget.get_context(
            self.field.html_name, self.field.value(), {"id": self.base_id}
        )["widget"]
        return context if context.get("is_initial") else None

"""NHS.UK frontend helpers for templates.

This library is a template builtin (see TEMPLATES in settings), so every template can use
it without ``{% load %}``. It holds:

* ``{% nhsuk_field field as meta %}``, which the crispy-forms "nhsuk" pack
  (``templates/nhsuk/``, see its README) uses to work out everything a field template
  needs (its kind, ids of the first input, hint and error, ``aria-describedby``, CSS
  classes) and to render the control itself, keeping every attribute Django gives the
  widget (``NHSField``, in ui/templatetags/_nhsuk_field.py, does the work);
* ``{% nhsuk_error_summary_items form as items %}``, the list behind the error summary;
* ``|nhsuk_button_class``, the classes of the form's submit button;
* ``{% nhsuk_tag text colour %}``.

Tables have their own library, ``{% load nhsuk_table %}`` (ui/templatetags/nhsuk_table.py).
"""

import re

from django import template
from django.utils.html import format_html

from ._nhsuk_field import NHSField, _join_classes

register = template.Library()

TAG_COLOURS = frozenset(
    {"white", "grey", "green", "aqua-green", "blue", "purple", "pink", "red", "orange", "yellow"}
)

_BOOTSTRAP_BUTTON_CLASS = re.compile(r"^(btn(-[\w-]+)?|hidden)$")


@register.simple_tag(takes_context=True)
def nhsuk_field(context, bound_field):
    """``{% nhsuk_field field as meta %}``: an NHSField for the crispy context's field.

    Reads the crispy context: ``form_show_errors``, ``form_show_labels``, ``label_class``
    (for example "nhsuk-label--m"), ``wrapper_class`` and ``form_group_wrapper_class``.
    """
    return NHSField(
        bound_field,
        show_errors=context.get("form_show_errors", True) is not False,
        show_label=context.get("form_show_labels", True),
        label_class=context.get("label_class", ""),
        wrapper_class=_join_classes(
            context.get("wrapper_class", ""), context.get("form_group_wrapper_class", "")
        ),
    )


@register.simple_tag
def nhsuk_error_summary_items(form):
    """``{% nhsuk_error_summary_items form as items %}``: dicts with ``text`` and ``href``.

    The form's non-field errors come first, without a link; then each field's errors in
    the form's field order, linking to the field's first input (for a date, its first
    part in error). Errors on hidden fields have no link, since there is nothing to focus.
    """
    if form is None or not getattr(form, "is_bound", False) or not form.errors:
        return []
    items = [{"text": str(error), "href": ""} for error in form.non_field_errors()]
    for bound_field in form:
        if not bound_field.errors:
            continue
        if bound_field.is_hidden:
            items.extend({"text": str(error), "href": ""} for error in bound_field.errors)
            continue
        href = "#" + NHSField(bound_field).id
        items.extend({"text": str(error), "href": href} for error in bound_field.errors)
    return items


# --- Presentational helpers ----------------------------------------------------------------


@register.simple_tag
def nhsuk_tag(text, colour=""):
    """``{% nhsuk_tag "Active" "green" %}``: an NHS.UK tag.

    Colours: white, grey, green, aqua-green, blue, purple, pink, red, orange, yellow. Any
    other colour (or none) gives the default tag.
    """
    colour = str(colour or "").strip().lower().replace("_", "-").replace(" ", "-")
    classes = "nhsuk-tag" + (f" nhsuk-tag--{colour}" if colour in TAG_COLOURS else "")
    return format_html('<strong class="{}">{}</strong>', classes, text)


def _button_classes(classes, input_type):
    kept = [name for name in str(classes or "").split() if not _BOOTSTRAP_BUTTON_CLASS.match(name)]
    variant = ""
    if input_type in ("button", "reset") and not any(
        name.startswith("nhsuk-button--") for name in kept
    ):
        variant = "nhsuk-button--secondary"
    return _join_classes("nhsuk-button", variant, *kept)


@register.filter
def nhsuk_button_class(button):
    """Classes for a crispy Submit/Button/Reset: Bootstrap's are swapped for NHS.UK's
    (a plain Button or Reset is a secondary button). Extra css_class is kept."""
    return _button_classes(
        getattr(button, "field_classes", ""), getattr(button, "input_type", "submit")
    )

from django import forms
from django.core.exceptions import ValidationError

from accounts.forms import apply_form_errors


class NameForm(forms.Form):
    name = forms.CharField()


def test_field_errors_go_next_to_their_field_and_others_to_the_top():
    form = NameForm({"name": "x"})
    form.is_valid()
    apply_form_errors(form, ValidationError({"name": "Taken", "elsewhere": "Odd"}))
    assert form.errors["name"] == ["Taken"]
    assert form.non_field_errors() == ["Odd"]


def test_a_plain_service_error_is_shown_not_raised():
    form = NameForm({"name": "x"})
    form.is_valid()
    apply_form_errors(form, ValidationError("This request is already done"))
    assert form.non_field_errors() == ["This request is already done"]

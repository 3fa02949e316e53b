"""What the EPS pages share."""

from django.urls import reverse

from ..forms import UsageForm

PAGE_SIZE = 50
RECENT_MOVEMENTS = 10


def _usage_form(premises, data=None, *, ask_if_already=False):
    form = UsageForm(data, ask_if_already=ask_if_already)
    form.helper.form_action = reverse("tokens_usage_record", args=[premises.pk])
    return form

import django_filters
from django import forms

from .audit_labels import action_choices
from .models import AuditEvent
from .widgets import NHSDateField


class NHSDateFilter(django_filters.DateFilter):
    """A date typed into NHS.UK day, month and year boxes."""

    field_class = NHSDateField


class AuditEventFilter(django_filters.FilterSet):
    action = django_filters.ChoiceFilter(
        label="What happened",
        choices=action_choices,
        empty_label="Anything",
    )
    actor = django_filters.CharFilter(
        field_name="actor_label", label="Done by", lookup_expr="icontains"
    )
    ods_code = django_filters.CharFilter(
        field_name="premises__ods_code",
        label="Premises ODS code",
        lookup_expr="iexact",
        widget=forms.TextInput(attrs={"class": "nhsuk-input--width-5"}),
    )
    since = NHSDateFilter(
        field_name="created_at",
        lookup_expr="date__gte",
        label="From",
        help_text="For example, 27 3 2026",
    )
    until = NHSDateFilter(
        field_name="created_at",
        lookup_expr="date__lte",
        label="To",
        help_text="For example, 27 3 2026",
    )

    class Meta:
        model = AuditEvent
        fields = []

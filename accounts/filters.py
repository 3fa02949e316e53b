import django_filters
from django import forms

from .audit_labels import action_choices
from .models import AuditEvent
from .security import SECURITY_ACTIONS
from .widgets import NHSDateField


class NHSDateFilter(django_filters.DateFilter):
    """A date typed into NHS.UK day, month and year boxes."""

    field_class = NHSDateField


class AddressFilter(django_filters.CharFilter):
    """An IP address, checked as one before it reaches the database."""

    field_class = forms.GenericIPAddressField


class AuditEventFilter(django_filters.FilterSet):
    security = django_filters.BooleanFilter(
        label="Security events only",
        help_text="Failed sign-ins, lockouts, two-factor codes and refused pages",
        method="filter_security",
        widget=forms.CheckboxInput,
    )
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

    client_address = AddressFilter(
        label="Client address",
        help_text="The IP address a request came from, for example 203.0.113.7",
    )
    request_id = django_filters.CharFilter(
        label="Request id", help_text="From X-Request-ID or a log line", max_length=64
    )

    class Meta:
        model = AuditEvent
        fields = []

    def filter_security(self, queryset, name, value):
        return queryset.filter(action__in=SECURITY_ACTIONS) if value else queryset

import django_filters
from django import forms

from .models import AuditEvent


class AuditEventFilter(django_filters.FilterSet):
    action = django_filters.CharFilter(
        label="Action contains",
        lookup_expr="icontains",
        help_text="For example membership or invitation",
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
    since = django_filters.DateFilter(
        field_name="created_at",
        lookup_expr="date__gte",
        label="From (YYYY-MM-DD)",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    until = django_filters.DateFilter(
        field_name="created_at",
        lookup_expr="date__lte",
        label="To (YYYY-MM-DD)",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    class Meta:
        model = AuditEvent
        fields = []

"""Rows that a request made by the first organisation's people must never touch: every row of
every model that hangs off the other organisation, found from the models' foreign keys so
new areas are covered without listing them."""

from django.apps import apps
from django.db import models

from accounts.models import (
    Membership,
    Organisation,
    OrganisationAdmin,
    Premises,
    PremisesStanding,
    StandingDay,
    StandingTally,
    User,
)

# Worked out from the rows the picture holds (accounts.standings): any page a portal admin
# opens may bring them up to date, which changes no fact. tests/standings checks that what
# they say always equals a fresh working-out.
DERIVED = {PremisesStanding, StandingDay, StandingTally}


def _organisation_path(model):
    if model is Organisation:
        return "pk"
    for model_field in model._meta.get_fields():
        if not isinstance(model_field, models.ForeignKey):
            continue
        if model_field.related_model is Organisation:
            return f"{model_field.name}_id"
        if model_field.related_model is Premises:
            return f"{model_field.name}__organisation_id"
    return None


def _user_path(model):
    for model_field in model._meta.get_fields():
        if isinstance(model_field, models.ForeignKey | models.OneToOneField) and (
            model_field.related_model is User
        ):
            return f"{model_field.name}_id"
    return None


def other_organisation_rows(organisation_id):
    """A comparable picture of everything belonging to one organisation."""
    people = set(
        Membership.objects.filter(premises__organisation_id=organisation_id).values_list(
            "user_id", flat=True
        )
    ) | set(
        OrganisationAdmin.objects.filter(organisation_id=organisation_id).values_list(
            "user_id", flat=True
        )
    )
    picture = {"people": list(User.objects.filter(pk__in=people).order_by("pk").values())}
    for model in apps.get_models():
        if model._meta.app_label not in {"accounts", "nhsmail", "smartcards", "eps", "records"}:
            continue
        if model in DERIVED:
            continue
        path = _organisation_path(model)
        if path:
            rows = model.objects.filter(**{path: organisation_id})
        elif (path := _user_path(model)) and model is not User:
            rows = model.objects.filter(**{f"{path}__in": people})
        else:
            continue
        picture[model._meta.label] = list(rows.order_by("pk").values())
    return picture

"""The records area's part of the demo picture (`manage.py seed_demo`).

Guidance pages, and a readiness picture with something to show in every state: a ready
premises, premises with no ready pharmacist, a locum on the national locum code, training
due a refresh, and an organisation with no SCR governance person. Keyed on natural keys,
so seeding twice changes nothing; written directly, so it leaves no audit events.
"""

from datetime import timedelta

from django.utils import timezone

from accounts.models import Membership, Organisation, Premises, User

from .guidance_content import seed_guidance
from .models import (
    GphcRegistration,
    GuidancePage,
    GuidancePageVersion,
    ReadinessRecord,
    ScrGovernancePerson,
    ScrRole,
)

JobRole = Membership.JobRole


def _gphc(user, number):
    if (
        not hasattr(user, "gphc_registration")
        and not GphcRegistration.objects.filter(number=number).exists()
    ):
        GphcRegistration.objects.get_or_create(user=user, defaults={"number": number})


def _readiness(membership, *, scr_role, trained_on=None, is_trainee=False):
    ReadinessRecord.objects.get_or_create(
        membership=membership,
        defaults={"scr_role": scr_role, "cppe_training_on": trained_on, "is_trainee": is_trainee},
    )


def _current(user, ods_code):
    return (
        Membership.objects.current()
        .filter(user=user, premises__ods_code=ods_code)
        .select_related("user")
        .first()
    )


def seed(personas):
    now = timezone.now()
    today = timezone.localdate(now)
    seed_guidance(GuidancePage, GuidancePageVersion, now=now)

    def days_ago(days):
        return today - timedelta(days=days)

    # Calder Valley (an independent): ready, but no SGP recorded yet.
    manager = _current(personas["manager@demo.portal.test"], "FA1C7")
    if manager:
        _gphc(manager.user, "2071234")
        _readiness(manager, scr_role=ScrRole.PREMISES, trained_on=days_ago(200))
    technician = _current(User.objects.filter(email="j.barker@demo.portal.test").first(), "FA1C7")
    if technician:
        _gphc(technician.user, "5012345")
        _readiness(technician, scr_role=ScrRole.PREMISES, trained_on=days_ago(3 * 365))

    # The locum holds the SCR role on the national locum code, wherever she works.
    locum = personas["locum@demo.portal.test"]
    _gphc(locum, "2065432")
    for membership in Membership.objects.current().filter(user=locum):
        _readiness(membership, scr_role=ScrRole.LOCUM, trained_on=days_ago(90))

    # Pennine and Aire Health: most premises ready, a few not yet.
    for organisation_name, unready_every in (
        ("Pennine Pharmacy Group", 4),
        ("Aire Health Pharmacies", 3),
    ):
        organisation = Organisation.objects.filter(name=organisation_name).first()
        if organisation is None:
            continue
        for index, premises in enumerate(
            Premises.objects.filter(organisation=organisation).order_by("ods_code")
        ):
            if index % unready_every == unready_every - 1:
                continue
            staff = (
                Membership.objects.current()
                .filter(premises=premises, job_role__in=[JobRole.PHARMACIST, JobRole.TECHNICIAN])
                .select_related("user")
                .order_by("pk")
            )
            for member in staff:
                _gphc(
                    member.user,
                    f"{2 if member.job_role == JobRole.PHARMACIST else 5}{member.user_id:06d}",
                )
                _readiness(
                    member,
                    scr_role=ScrRole.PREMISES,
                    trained_on=days_ago(60 + 137 * index),
                )
        sgp_member = (
            Membership.objects.current()
            .filter(premises__organisation=organisation, job_role=JobRole.PHARMACIST)
            .select_related("user")
            .order_by("pk")
            .first()
        )
        if sgp_member:
            ScrGovernancePerson.objects.get_or_create(
                organisation=organisation,
                defaults={"user": sgp_member.user, "trained_on": days_ago(120)},
            )

import io
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from accounts.management.demo import DEMO_PASSWORD, PERSONAS
from accounts.models import (
    AuditEvent,
    Membership,
    Organisation,
    Premises,
    PremisesStanding,
    StandingDay,
    User,
)
from accounts.permissions import Role, scope_for


def counts():
    return (
        User.objects.count(),
        Premises.objects.count(),
        Membership.objects.count(),
        Organisation.objects.count(),
        StandingDay.objects.count(),
    )


@pytest.mark.django_db
def test_seed_demo_is_idempotent_and_covers_every_role(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("seed_demo", stdout=io.StringIO())
    first = counts()
    call_command("seed_demo", stdout=io.StringIO())
    assert counts() == first
    assert Organisation.objects.get(name="Pennine Pharmacy Group").premises.count() == 25
    roles = set()
    for email, _, _ in PERSONAS:
        user = User.objects.get(email=email)
        roles |= scope_for(user).roles
        assert user.check_password(DEMO_PASSWORD), email
    assert roles == set(Role)
    assert not AuditEvent.objects.exists(), "demo data is not a user's action"
    assert mail.outbox == [], "seeding emails nobody"
    names = list(Premises.objects.values_list("name", flat=True))
    assert len(names) == len(set(names)), "every premises has a name of its own"
    # Every premises has today's standing in every area, with twelve weeks of history
    # behind it for the trends.
    premises = Premises.objects.count()
    assert PremisesStanding.objects.filter(stale=False).count() == premises * 4
    today = timezone.localdate()
    for weeks_ago in range(12):
        day = today - timedelta(weeks=weeks_ago)
        assert StandingDay.objects.filter(day=day).count() == premises * 4, day


def test_seed_demo_refuses_in_production(settings):
    from django.core.management.base import CommandError

    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="never loaded in production"):
        call_command("seed_demo")

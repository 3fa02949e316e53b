"""The smartcards part of the demo picture (`manage.py seed_demo`).

Keyed on natural keys (the region, each person's email, one request per card and kind),
so seeding twice changes nothing. Certificate dates are set relative to the day of the
first seeding.
"""

import hashlib
import random
from datetime import timedelta

from django.utils import timezone

from accounts.models import Membership, Region, User

from .models import RegistrationAuthority, SmartcardHolder, SmartcardRequest, SmartcardRequestEvent

WEST_YORKSHIRE = "West Yorkshire ICB"
WEST_YORKSHIRE_RA = {
    "name": "The Health Informatics Service",
    "main_phone": "0845 127 2600",
    "local_phone": "01484 355220",
    "email": "",
    "notes": "Smartcard team: new cards, role changes, lost or damaged cards and expired "
    "certificates. Weekdays 8am to 5pm.",
}

# Persona: (days until the certificates expire, valid email on the Care Identity profile).
PERSONA_CARDS = {
    "staff@demo.portal.test": (45, True),
    "manager@demo.portal.test": (400, False),
    "locum@demo.portal.test": (-12, False),
    "unlocker@demo.portal.test": (300, True),
    "j.barker@demo.portal.test": (20, False),
}

# A mobile number for text reminders (sent only where GOV.UK Notify is configured), from
# Ofcom's range for drama and examples, so no real phone is ever texted.
PERSONA_MOBILES = {"staff@demo.portal.test": "+447700900982"}


def demo_uuid(email):
    """A stable, made-up 12-digit UUID for a demo person."""
    number = int(hashlib.sha256(email.encode()).hexdigest(), 16) % 10**12
    return f"{number:012d}"


def _holder(user, days, has_cim_email, today):
    holder, _ = SmartcardHolder.objects.get_or_create(
        user=user,
        defaults={
            "uuid": demo_uuid(user.email),
            "certificate_expires_on": today + timedelta(days=days),
            "has_cim_email": has_cim_email,
            "reminder_mobile": PERSONA_MOBILES.get(user.email, ""),
        },
    )
    return holder


def _open_request(holder, premises, kind, *, urgent, note, minutes_ago):
    if SmartcardRequest.objects.filter(holder=holder, kind=kind).exists():
        return
    raised_at = timezone.now() - timedelta(minutes=minutes_ago)
    smartcard_request = SmartcardRequest.objects.create(
        holder=holder,
        premises=premises,
        kind=kind,
        raised_by=holder.user,
        raised_at=raised_at,
        waiting_since=raised_at,
        # Escalation is for requests that wait unseen, not for the demo's own examples.
        escalated_at=raised_at,
        urgent=urgent,
        note=note,
    )
    SmartcardRequestEvent.objects.create(
        request=smartcard_request,
        action=SmartcardRequestEvent.Action.RAISED,
        actor=holder.user,
        actor_label=holder.user.full_name,
        at=raised_at,
        note=note,
    )


def seed_smartcards(personas):
    today = timezone.localdate()
    region, _ = Region.objects.get_or_create(name=WEST_YORKSHIRE)
    RegistrationAuthority.objects.get_or_create(region=region, defaults=WEST_YORKSHIRE_RA)

    holders = {}
    for email, (days, has_cim_email) in PERSONA_CARDS.items():
        user = personas.get(email) or User.objects.filter(email=email).first()
        if user is not None:
            holders[email] = _holder(user, days, has_cim_email, today)

    # Everyone else in the demo gets a card too, a few of them due for renewal.
    rng = random.Random(5)
    others = (
        User.objects.filter(memberships__isnull=False, smartcard__isnull=True)
        .exclude(email__in=PERSONA_CARDS)
        .distinct()
        .order_by("email")
    )
    for user in others:
        _holder(
            user, rng.choice([-5, 25, 50, 75, 120, 200, 365, 500, 700]), rng.random() < 0.6, today
        )

    barker = holders.get("j.barker@demo.portal.test")
    if barker is not None:
        _open_request(
            barker,
            Membership.objects.current().filter(user=barker.user).first().premises,
            SmartcardRequest.Kind.UNLOCK,
            urgent=True,
            note="Locked after the morning rush. In the dispensary until 6pm.",
            minutes_ago=20,
        )
    pennine = (
        Membership.objects.current()
        .filter(
            premises__organisation__name="Pennine Pharmacy Group", user__smartcard__isnull=False
        )
        .select_related("user__smartcard", "premises")
        .order_by("premises__ods_code", "user__email")
        .first()
    )
    if pennine is not None:
        holder = pennine.user.smartcard
        if not holder.certificate(today).in_renewal_window:
            holder.certificate_expires_on = today + timedelta(days=60)
            holder.save(update_fields=["certificate_expires_on"])
        _open_request(
            holder,
            pennine.premises,
            SmartcardRequest.Kind.RENEW,
            urgent=False,
            note="Certificates run out in two months; any day this week suits.",
            minutes_ago=180,
        )

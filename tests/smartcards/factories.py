from datetime import timedelta

import factory
from django.utils import timezone

from smartcards.models import RegistrationAuthority, SmartcardHolder, SmartcardRequest
from tests.factories import MembershipFactory, PremisesFactory, RegionFactory, UserFactory


class SmartcardHolderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SmartcardHolder

    user = factory.SubFactory(UserFactory)
    uuid = factory.Sequence(lambda n: f"{555500000000 + n:012d}")
    certificate_expires_on = factory.LazyFunction(
        lambda: timezone.localdate() + timedelta(days=365)
    )
    has_cim_email = False


class SmartcardRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SmartcardRequest

    kind = SmartcardRequest.Kind.UNLOCK
    holder = factory.SubFactory(SmartcardHolderFactory)
    premises = factory.SubFactory(PremisesFactory)
    raised_by = factory.LazyAttribute(lambda o: o.holder.user)
    urgent = False


class RegistrationAuthorityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RegistrationAuthority
        django_get_or_create = ["region"]

    region = factory.SubFactory(RegionFactory)
    name = "The Health Informatics Service"
    main_phone = "0845 127 2600"
    local_phone = "01484 355220"


def holder_for(user, **fields):
    """The user's card, made once."""
    existing = SmartcardHolder.objects.filter(user=user).first()
    return existing or SmartcardHolderFactory(user=user, **fields)


def holder_at(premises, **fields):
    """A new person working at premises, with a card."""
    user = MembershipFactory(premises=premises).user
    return SmartcardHolderFactory(user=user, **fields)


def claimed(smartcard_request, unlocker):
    now = timezone.now()
    smartcard_request.status = SmartcardRequest.Status.CLAIMED
    smartcard_request.claimed_by = unlocker
    smartcard_request.claimed_at = now
    smartcard_request.save()
    return smartcard_request

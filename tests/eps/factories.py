from datetime import timedelta

import factory
from django.utils import timezone

from eps.models import PcseOrderer, StockMovement, TokenOrder
from tests.factories import PremisesFactory, UserFactory


def movement(premises, quantity, *, kind=None, days_ago=0, period_days=1, user=None, **extra):
    """One stock movement, written straight to the ledger (tests only: services lock)."""
    kind = kind or (StockMovement.Kind.DELIVERY if quantity > 0 else StockMovement.Kind.USAGE)
    occurred_on = timezone.localdate() - timedelta(days=days_ago)
    return StockMovement.objects.create(
        premises=premises,
        kind=kind,
        quantity=quantity,
        occurred_on=occurred_on,
        period_days=period_days,
        covers_from=occurred_on - timedelta(days=period_days - 1),
        recorded_by=user or UserFactory(),
        **extra,
    )


def steady_usage(premises, per_day, *, days=56, opening=None, user=None):
    """An opening delivery `days` days ago, then `per_day` used every day since."""
    user = user or UserFactory()
    movement(premises, opening or per_day * days + 100, days_ago=days, user=user)
    for days_ago in range(days - 1, -1, -1):
        movement(premises, -per_day, days_ago=days_ago, user=user)


class TokenOrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TokenOrder

    premises = factory.SubFactory(PremisesFactory)
    packs = 2
    pack_size = 500
    requested_by = factory.SubFactory(UserFactory)

    class Params:
        placed = factory.Trait(
            status=TokenOrder.Status.PLACED,
            pcse_reference=factory.Sequence(lambda n: f"PCSE{n:06d}"),
            placed_on=factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=3)),
            placed_by=factory.SelfAttribute("requested_by"),
            expected_delivery_on=factory.LazyFunction(
                lambda: timezone.localdate() + timedelta(days=4)
            ),
        )
        overdue = factory.Trait(
            status=TokenOrder.Status.PLACED,
            pcse_reference=factory.Sequence(lambda n: f"LATE{n:06d}"),
            placed_on=factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=12)),
            placed_by=factory.SelfAttribute("requested_by"),
            expected_delivery_on=factory.LazyFunction(
                lambda: timezone.localdate() - timedelta(days=2)
            ),
        )


class PcseOrdererFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PcseOrderer

    premises = factory.SubFactory(PremisesFactory)
    user = factory.SubFactory(UserFactory)
    added_by = factory.SelfAttribute("user")

"""EPS dispensing tokens: a premises' stock as a ledger of movements, its PCSE orders,
who can order on PCSE Online, and the settings that say when to reorder.

Stock is never stored as a total. It is the sum of `StockMovement` rows, each written
once by a service while the premises' `TokenSettings` row is locked, so two people
recording usage at the same moment both count and the never-negative check sees the
other's movement.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.lookups import LessThanOrEqual
from django.utils import timezone

from accounts.models import Premises

from .validators import MAX_TOKENS


class TokenSettings(models.Model):
    """One premises' reorder settings, and the row locked while its stock changes.

    The defaults are portal defaults for a premises that has not set its own
    (docs/decisions/0011-eps-reorder-defaults.md).
    """

    premises = models.OneToOneField(
        Premises, on_delete=models.PROTECT, related_name="token_settings"
    )
    pack_size = models.PositiveIntegerField(
        "Tokens in a pack", default=500, help_text="FP10DT tokens in one pack from PCSE"
    )
    lead_time_days = models.PositiveSmallIntegerField(
        "Lead time in days",
        default=7,
        help_text="Days from placing an order on PCSE Online to the delivery arriving",
    )
    safety_margin_days = models.PositiveSmallIntegerField(
        "Safety margin in days",
        default=7,
        help_text="Extra days of stock to keep in case a delivery is late",
    )
    # Set when the low-stock email went out; cleared once stock recovers, so the next
    # time it runs low is a new episode with a new email.
    low_stock_alerted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "token settings"
        constraints = [
            models.CheckConstraint(
                condition=Q(pack_size__gte=1) & Q(pack_size__lte=MAX_TOKENS),
                name="token_settings_pack_size_range",
            ),
            models.CheckConstraint(
                condition=Q(lead_time_days__gte=1) & Q(lead_time_days__lte=90),
                name="token_settings_lead_time_range",
            ),
            models.CheckConstraint(
                condition=Q(safety_margin_days__lte=90),
                name="token_settings_safety_margin_range",
            ),
        ]

    def __str__(self):
        return f"Token settings for {self.premises}"

    @property
    def reorder_days(self):
        return self.lead_time_days + self.safety_margin_days


def default_settings():
    """The field defaults, for a premises with no settings row yet."""
    return {
        name: TokenSettings._meta.get_field(name).default
        for name in ("pack_size", "lead_time_days", "safety_margin_days")
    }


class TokenOrder(models.Model):
    """An order for tokens. It is placed on PCSE Online; the portal tracks it."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PLACED = "placed", "Placed on PCSE Online"
        RECEIVED = "received", "Received"
        CANCELLED = "cancelled", "Cancelled"

    OPEN_STATUSES = (Status.DRAFT, Status.PLACED)

    premises = models.ForeignKey(Premises, on_delete=models.PROTECT, related_name="token_orders")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    packs = models.PositiveIntegerField()
    # Copied from the settings when drafted, so a later change of pack size does not
    # change what this order was for.
    pack_size = models.PositiveIntegerField()
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    pcse_reference = models.CharField("PCSE order reference", max_length=20, blank=True)
    placed_on = models.DateField(null=True, blank=True)
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    expected_delivery_on = models.DateField(null=True, blank=True)
    received_on = models.DateField(null=True, blank=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    cancel_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["premises", "status"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(packs__gte=1) & Q(pack_size__gte=1),
                name="token_order_packs_positive",
            ),
            models.CheckConstraint(
                condition=LessThanOrEqual(F("packs") * F("pack_size"), MAX_TOKENS),
                name="token_order_not_absurd",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["draft", "placed", "received", "cancelled"]),
                name="token_order_status_known",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["placed", "received"])
                | (~Q(pcse_reference="") & Q(placed_on__isnull=False)),
                name="token_order_placed_has_reference",
            ),
            models.CheckConstraint(
                condition=~Q(status="received") | Q(received_on__isnull=False),
                name="token_order_received_has_date",
            ),
            models.CheckConstraint(
                condition=~Q(status="cancelled")
                | (Q(cancelled_at__isnull=False) & ~Q(cancel_reason="")),
                name="token_order_cancelled_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(expected_delivery_on__isnull=True)
                | Q(placed_on__isnull=True)
                | Q(expected_delivery_on__gte=F("placed_on")),
                name="token_order_delivery_after_placing",
            ),
            models.CheckConstraint(
                condition=Q(received_on__isnull=True)
                | Q(placed_on__isnull=True)
                | Q(received_on__gte=F("placed_on")),
                name="token_order_received_after_placing",
            ),
            models.UniqueConstraint(
                fields=["premises", "pcse_reference"],
                condition=~Q(pcse_reference=""),
                name="token_order_reference_unique_per_premises",
            ),
        ]

    def __str__(self):
        reference = self.pcse_reference or "no PCSE reference yet"
        return f"Token order {self.pk} ({reference}) for {self.premises}"

    @property
    def tokens(self):
        return self.packs * self.pack_size

    @property
    def is_open(self):
        return self.status in self.OPEN_STATUSES

    def is_overdue(self, today=None):
        today = today or timezone.localdate()
        return (
            self.status == self.Status.PLACED
            and self.expected_delivery_on is not None
            and self.expected_delivery_on < today
        )


class StockMovement(models.Model):
    """One change to a premises' token stock. Never updated or deleted: a mistake is put
    right by a count adjustment, which is itself a movement."""

    class Kind(models.TextChoices):
        DELIVERY = "delivery", "Delivery received"
        USAGE = "usage", "Tokens used"
        ADJUSTMENT = "adjustment", "Adjustment after a count"

    class Period(models.IntegerChoices):
        DAY = 1, "One day"
        WEEK = 7, "One week"

    premises = models.ForeignKey(Premises, on_delete=models.PROTECT, related_name="token_movements")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    # Signed: deliveries add, usage takes away, an adjustment does either.
    quantity = models.IntegerField()
    # The day of a delivery or count, or the last day of the period the usage covers.
    occurred_on = models.DateField()
    period_days = models.PositiveSmallIntegerField(choices=Period.choices, default=Period.DAY)
    # occurred_on - period_days + 1, stored so the usage window is one aggregate.
    covers_from = models.DateField()
    reason = models.CharField(max_length=500, blank=True)
    order = models.OneToOneField(
        TokenOrder,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="delivery",
    )
    # A usage correction points at the first record of the same day and period: the
    # movement that changes that day's total to the figure the team says is right.
    corrects = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="corrections"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-occurred_on", "-recorded_at", "-id"]
        indexes = [
            models.Index(fields=["premises", "kind", "occurred_on"]),
            models.Index(fields=["premises", "occurred_on"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gte=-MAX_TOKENS) & Q(quantity__lte=MAX_TOKENS),
                name="stock_movement_not_absurd",
            ),
            models.CheckConstraint(
                condition=(Q(kind="delivery") & Q(quantity__gt=0))
                | (Q(kind="usage") & Q(quantity__lt=0))
                # A correction of a day's usage may give tokens back to the stock.
                | (Q(kind="usage") & Q(corrects__isnull=False) & ~Q(quantity=0))
                | (Q(kind="adjustment") & ~Q(quantity=0) & ~Q(reason="")),
                name="stock_movement_sign_matches_kind",
            ),
            models.CheckConstraint(
                condition=Q(corrects__isnull=True) | Q(kind="usage"),
                name="stock_movement_corrects_only_usage",
            ),
            models.CheckConstraint(
                condition=Q(period_days=1) | (Q(period_days=7) & Q(kind="usage")),
                name="stock_movement_period_day_or_usage_week",
            ),
            models.CheckConstraint(
                condition=Q(covers_from__lte=F("occurred_on")),
                name="stock_movement_covers_from_before_end",
            ),
            models.CheckConstraint(
                condition=Q(order__isnull=True) | Q(kind="delivery"),
                name="stock_movement_order_only_on_delivery",
            ),
        ]

    def __str__(self):
        return (
            f"{self.get_kind_display()} {self.quantity:+d} on {self.occurred_on} at {self.premises}"
        )

    @property
    def tokens(self):
        return abs(self.quantity)


class OrderEscalation(models.Model):
    """One chase of a late order: a written request to PCSE, or a phone call."""

    class Method(models.TextChoices):
        WRITTEN = "written", "Wrote to PCSE (contact form or urgent supplies email)"
        PHONE = "phone", "Phoned PCSE"

    order = models.ForeignKey(TokenOrder, on_delete=models.PROTECT, related_name="escalations")
    method = models.CharField(max_length=20, choices=Method.choices)
    note = models.CharField(max_length=500, blank=True)
    escalated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    escalated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-escalated_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(method__in=["written", "phone"]), name="order_escalation_method_known"
            )
        ]

    def __str__(self):
        return f"{self.get_method_display()} about order {self.order_id}"


class PcseOrderer(models.Model):
    """A person linked to the premises' PCSE Online account, who can order tokens."""

    premises = models.ForeignKey(Premises, on_delete=models.PROTECT, related_name="pcse_orderers")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="pcse_orderer_links"
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["user__full_name"]
        constraints = [
            models.UniqueConstraint(fields=["premises", "user"], name="one_pcse_orderer_row")
        ]

    def __str__(self):
        return f"{self.user} orders tokens for {self.premises}"

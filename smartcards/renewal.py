"""The certificate renewal window, in one place.

A smartcard's certificates last until their expiry date, the last good day. From
SMARTCARD_RENEWAL_WINDOW_DAYS (90) days before it, up to and including that day, a local
unlocker can renew them; the portal reminds the holder when the window opens, and again
FINAL_REMINDER_DAYS (14) days before the end. Once past the expiry date only the
Registration Authority can repair the card.
"""

from datetime import date, timedelta

from django.conf import settings
from django.utils import timezone

# The second reminder goes this many days before the certificates expire: late enough to
# catch people who ignored the first, early enough to book an unlocker.
FINAL_REMINDER_DAYS = 14


class CertificateState:
    """Where a card's certificates stand on a day (today unless given), against the
    renewal window. Attributes: expires_on, today, window_days (int), days_left (int:
    negative once expired), is_expired, in_renewal_window, final_reminder_due (bool),
    window_opens_on (date: the first day the certificates can be renewed)."""

    def __init__(self, expires_on: date, today: date | None = None):
        self.expires_on = expires_on
        self.today = today or timezone.localdate()
        self.window_days = settings.SMARTCARD_RENEWAL_WINDOW_DAYS
        self.days_left = (expires_on - self.today).days
        # The expiry date is the certificates' last good day.
        self.is_expired = self.days_left < 0
        self.in_renewal_window = 0 <= self.days_left <= self.window_days
        self.window_opens_on = expires_on - timedelta(days=self.window_days)
        self.final_reminder_due = 0 <= self.days_left <= FINAL_REMINDER_DAYS

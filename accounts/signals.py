"""Signals other apps listen to, so accounts never imports an area app.

Sent from services after the change has committed (transaction.on_commit).
"""

from django.dispatch import Signal

# premises: the Premises whose staff changed. Area apps re-evaluate their state for it.
premises_staff_changed = Signal()

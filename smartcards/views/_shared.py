"""What the smartcards pages share."""

PAGE_SIZE = 50
QUEUE_POLL_SECONDS = 15


def _holder_initial(holder):
    if holder is None:
        return None
    return {
        "uuid": holder.uuid,
        "certificate_expires_on": holder.certificate_expires_on,
        "has_cim_email": holder.has_cim_email,
        "reminder_mobile": holder.reminder_mobile_shown,
    }

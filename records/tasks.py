from celery import shared_task

from . import services


@shared_task(acks_late=True)
def send_guidance_review_reminders():
    """Weekly: remind portal admins of guidance past its review date. Runs any number of
    times a week and still reminds about each page once (see the service)."""
    return [page.slug for page in services.guidance_review_reminders_send()]

"""An email backend whose next sends fail as told (tests set `failures`), delivering to
Django's locmem outbox otherwise."""

from django.core.mail.backends.locmem import EmailBackend

failures = []


class ScriptedBackend(EmailBackend):
    def send_messages(self, messages):
        if failures:
            raise failures.pop(0)
        return super().send_messages(messages)

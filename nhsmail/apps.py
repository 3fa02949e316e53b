from django.apps import AppConfig


class NhsmailConfig(AppConfig):
    name = "nhsmail"
    verbose_name = "NHSmail"

    def ready(self):
        from accounts.signals import premises_staff_changed

        from .services import compliance_refresh

        def staff_changed(sender, premises, **kwargs):
            # Someone joined or left: the premises' count may have changed this minute.
            compliance_refresh(premises_ids=[premises.pk])

        premises_staff_changed.connect(
            staff_changed, weak=False, dispatch_uid="nhsmail_staff_changed"
        )

from django.apps import AppConfig


class NhsmailConfig(AppConfig):
    name = "nhsmail"
    verbose_name = "NHSmail"

    def ready(self):
        from accounts import standings

        from .models import ComplianceStatus
        from .rules import leaving_effect, work_out
        from .services import AREA, after_refresh

        standings.register(
            standings.Area(
                AREA,
                "NHSmail",
                1,
                work_out,
                "nhsmail_premises",
                # The rule keeps its own words: "Not compliant", "Compliant, at risk"...
                level_labels=dict(ComplianceStatus.choices),
                after_refresh=after_refresh,
                leaving_effect=leaving_effect,
            )
        )

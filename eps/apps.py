from django.apps import AppConfig


class EpsConfig(AppConfig):
    name = "eps"
    verbose_name = "EPS dispensing tokens"

    def ready(self):
        from accounts import standings

        from .selectors import AREA
        from .standing import work_out

        standings.register(standings.Area(AREA, "EPS tokens", 3, work_out, "tokens_premises"))

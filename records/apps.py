from django.apps import AppConfig


class RecordsConfig(AppConfig):
    name = "records"

    def ready(self):
        from accounts import standings

        from .selectors import AREA
        from .standing import work_out

        standings.register(standings.Area(AREA, "SCR/NCRS", 4, work_out, "readiness_premises"))

from django.apps import AppConfig


class SmartcardsConfig(AppConfig):
    name = "smartcards"

    def ready(self):
        from accounts import standings

        from .selectors import AREA
        from .standing import work_out

        standings.register(standings.Area(AREA, "Smartcards", 2, work_out, "smartcard_premises"))

from django.apps import AppConfig


class NhsmailConfig(AppConfig):
    name = "nhsmail"

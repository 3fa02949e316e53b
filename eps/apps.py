from django.apps import AppConfig


class EpsConfig(AppConfig):
    name = "eps"
    verbose_name = "EPS dispensing tokens"

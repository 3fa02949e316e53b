from django.apps import AppConfig


class EpsConfig(AppConfig):
    name = "eps"

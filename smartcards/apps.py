from django.apps import AppConfig


class SmartcardsConfig(AppConfig):
    name = "smartcards"

from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "jobs"
    label = "jobs"
    verbose_name = "Periodic jobs"

    def ready(self):
        from . import checks  # noqa: F401  (registers the broker folder check)

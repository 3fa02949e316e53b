from django.apps import AppConfig


class ImportsConfig(AppConfig):
    name = "imports"
    verbose_name = "Bulk imports and ODS reconciliation"

    def ready(self):
        # The services queue the tasks by name (services/common.py queue): every process
        # that may queue one registers them here, without the services importing them.
        from . import tasks  # noqa: F401

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts and organisations"

    def ready(self):
        # Register the deployment checks; connect the security-event and log-context
        # signal receivers.
        from . import checks, log_context, security  # noqa: F401

"""Deployment checks of the accounts app (`make check-deploy`)."""

from django.conf import settings
from django.core import checks
from django.db import Error

from .database_roles import connected_role_problems


@checks.register(checks.Tags.security, deploy=True)
def check_database_role(app_configs, **kwargs):
    """portal.W001: in production the portal must not connect as a superuser or as the
    owner of the audit table (docs/decisions/0033-database-roles.md). Silent when the
    database cannot be reached: the check then has nothing to say about the role."""
    if not settings.PRODUCTION:
        return []
    try:
        problems = connected_role_problems()
    except Error:
        return []
    return [
        checks.Warning(
            f"{problem} It could switch off the audit trail's triggers.",
            hint="Connect as the portal role described in docs/database-roles.md "
            "and run migrations as the owner role.",
            id="portal.W001",
        )
        for problem in problems
    ]

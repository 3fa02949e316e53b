from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from accounts.database_roles import portal_role_grants


class Command(BaseCommand):
    help = (
        "Run as the owner role after migrate: grant the portal role what it needs and no "
        "more (no TRUNCATE, no UPDATE or DELETE on the audit trail). See "
        "docs/database-roles.md."
    )

    def add_arguments(self, parser):
        parser.add_argument("portal_role", help="The role the portal connects as")
        parser.add_argument(
            "--print", action="store_true", help="Print the SQL instead of running it"
        )

    def handle(self, *args, portal_role, **options):
        if connection.vendor != "postgresql":
            raise CommandError("Roles are a PostgreSQL matter: DATABASE_URL is not PostgreSQL")
        try:
            statements = portal_role_grants(portal_role)
        except ValueError as problem:
            raise CommandError(str(problem)) from problem
        if options["print"]:
            self.stdout.write(";\n".join(statements) + ";")
            return
        with transaction.atomic(), connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
        self.stdout.write(f"Granted {portal_role} the portal's privileges")

"""The production database roles (docs/database-roles.md).

Two PostgreSQL roles: an owner, which owns the schema and runs migrations, and the portal
role the web processes and workers connect as. The portal role may read and write the
tables but holds no TRUNCATE anywhere, no UPDATE or DELETE on the audit table, and owns
nothing, so it cannot alter or drop tables or switch triggers off. `portal_role_grants`
is the one list of grants; `manage.py grant_portal_role` runs it as the owner after each
migrate, and the PostgreSQL tests run the portal as a role given exactly these grants.
"""

import re

from django.db import connection

AUDIT_TABLE = "accounts_auditevent"
_ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def portal_role_grants(portal_role):
    """SQL statements (list of str) granting `portal_role` what the portal needs.

    Raises ValueError for a role name that is not a plain lower-case identifier.
    """
    if not _ROLE_NAME.match(portal_role):
        raise ValueError("Role names are lower-case letters, digits and underscores")
    role = connection.ops.quote_name(portal_role)
    return [
        f"GRANT USAGE ON SCHEMA public TO {role}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}",
        f"GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {role}",
        f"REVOKE UPDATE, DELETE, TRUNCATE, TRIGGER, REFERENCES ON {AUDIT_TABLE} FROM {role}",
        # Tables later migrations create are readable and writable without a new grant.
        "ALTER DEFAULT PRIVILEGES IN SCHEMA public "
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {role}",
        "ALTER DEFAULT PRIVILEGES IN SCHEMA public "
        f"GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO {role}",
    ]


def connected_role_problems():
    """What is wrong with the role this process is connected as (list of str): a
    superuser, or the owner of the audit table, could switch its triggers off. Empty on
    SQLite. Raises django.db.Error when the database cannot be reached."""
    if connection.vendor != "postgresql":
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT r.rolname, r.rolsuper, "
            "EXISTS (SELECT 1 FROM pg_class c WHERE c.relname = %s "
            "        AND pg_has_role(current_user, c.relowner, 'USAGE')) "
            "FROM pg_roles r WHERE r.rolname = current_user",
            [AUDIT_TABLE],
        )
        name, superuser, owns_audit = cursor.fetchone()
    problems = []
    if superuser:
        problems.append(f"The portal connects to PostgreSQL as {name}, a superuser.")
    elif owns_audit:
        problems.append(f"The portal connects to PostgreSQL as {name}, which owns the audit table.")
    return problems

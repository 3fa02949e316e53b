"""What each kind of import file holds, how a row is checked, and what applying it does.

A row is checked in two steps: its cells alone (plain functions of cells.py per column:
shapes, dates, choices), then against the database in chunks (unknown premises, what
would change).
Previewing and applying run the same `classify`, so what the preview promised is what
the import does; `apply` then writes the chunk.
"""

import datetime
import re
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone

from accounts import services as account_services
from accounts.models import Invitation, Membership, Premises, Region, User
from accounts.validators import normalise_ods_code
from nhsmail import services as nhsmail_services
from nhsmail.models import MailboxLink, PersonalAccount, SharedMailbox
from nhsmail.validators import normalise_nhsmail, shared_mailbox_message

from . import bulk, cells
from .cells import header_key
from .files import FileProblem
from .models import ImportRow, ImportRun
from .sql import one_of

Action = ImportRow.Action

# Spreadsheets run a cell starting with one of these as a formula. Exports neutralise
# them with a leading apostrophe; imports refuse them, so nothing stored can become one.
FORMULA_STARTS = ("=", "+", "-", "@")
# What people type in an optional cell to mean "nothing here". Read as blank, so a lone
# "-" is not taken for a formula; in a required column it is still an error.
BLANK_WORDS = {"-", "--", "n/a", "na", "none", "nil"}
# The first characters that may start a formula (formula_problem looks past a quote).
FORMULA_FIRST = "'" + "".join(FORMULA_STARTS)


def formula_problem(text):
    stripped = text[1:] if text.startswith("'") else text
    if stripped.startswith(FORMULA_STARTS):
        return (
            f"Remove the {stripped[0]} from the start of this cell. The portal does not store "
            "cells that start with =, +, - or @, because spreadsheets run them as formulas."
        )
    return None


@dataclass(frozen=True)
class Column:
    field: str
    header: str
    hint: str
    required: bool = True


class ImportKind:
    kind = None
    columns = ()
    # Cleaned values that are dates, stored as ISO text between check and apply.
    date_fields = ()
    # Preview names for what a row sets that is not a column of its own.
    extra_labels = {}

    # --- the header ----------------------------------------------------------------------

    def field_for_headers(self, header):
        """The field each column of the file fills, or FileProblem naming what is wrong."""
        by_key = {}
        for column in self.columns:
            by_key[header_key(column.header)] = column.field
            by_key[column.field] = column.field
        fields, unknown = [], []
        for text in header:
            name = by_key.get(header_key(text))
            if name is None:
                unknown.append(text or "(blank)")
            fields.append(name)
        expected = ", ".join(column.header for column in self.columns)
        if unknown and len(unknown) == len(header):
            shown = ", ".join(text for text in header[:4] if text)
            raise FileProblem(
                f"The first row of the file is not a row of column headings: it holds "
                f"{shown}. Add a first row with the headings {expected}, as in the template."
            )
        if unknown:
            raise FileProblem(
                f"The file has columns the portal does not know: {', '.join(unknown)}. "
                f"The columns must be: {expected}. Download the template to see them."
            )
        repeated = sorted({name for name in fields if fields.count(name) > 1})
        if repeated:
            headers = [c.header for c in self.columns if c.field in repeated]
            raise FileProblem(f"The file has more than one column for: {', '.join(headers)}")
        missing = [c.header for c in self.columns if c.required and c.field not in fields]
        if missing:
            raise FileProblem(
                f"The file has no column for: {', '.join(missing)}. The columns must be: "
                f"{expected}. Download the template to see them."
            )
        return fields

    def header_of(self, name):
        """The spreadsheet's own name for a field the preview shows."""
        if name in self.extra_labels:
            return self.extra_labels[name]
        return next((c.header for c in self.columns if c.field == name), name)

    # --- cleaned values kept between check and apply --------------------------------------

    def cleaned_to_json(self, cleaned):
        return {
            name: value.isoformat() if isinstance(value, datetime.date) else value
            for name, value in cleaned.items()
        }

    def cleaned_from_json(self, stored, ctx):
        """The cleaned values as check stored them, dates made dates again. Changes the
        stored dict itself: each row's is read once, for this."""
        for name in self.date_fields:
            if stored.get(name):
                stored[name] = datetime.date.fromisoformat(stored[name])
        return stored

    # --- one row -------------------------------------------------------------------------

    def row_data(self, fields, cells):
        data = dict.fromkeys((c.field for c in self.columns), "")
        for name, cell in zip(fields, cells, strict=False):
            data[name] = cell
        if len(cells) > len(fields) and any(cells[len(fields) :]):
            data["__extra__"] = len(cells) - len(fields)
        return data

    def key(self, data):
        raise NotImplementedError

    def check_cells(self, data):
        """(cleaned values, []) or (None, errors), each error {"column", "message"}."""
        errors = []
        if data.get("__extra__"):
            last = self.columns[-1].header
            errors.append(
                {
                    "column": "",
                    "message": f"This row has {data['__extra__']} more cell"
                    f"{'s' if data['__extra__'] > 1 else ''} than the file has column "
                    "headings. Delete what is typed to the right of the last column, or "
                    f"move it into the right column (the columns end at {last}).",
                }
            )
        values = {}
        for column in self.columns:
            value = data.get(column.field, "")
            if value:
                if not column.required and value.lower() in BLANK_WORDS:
                    value = ""
                elif value[0] in FORMULA_FIRST:
                    problem = formula_problem(value)
                    if problem:
                        errors.append({"column": column.header, "message": problem})
            values[column.field] = value
        if errors:
            return None, errors
        cleaned = {}
        for name, clean in self.cleaners().items():
            try:
                cleaned[name] = clean(values.get(name))
            except ValidationError as error:
                column = self.header_of(name)
                errors.extend({"column": column, "message": message} for message in error.messages)
        for name, message in self.check_row(cleaned):
            errors.append({"column": self.header_of(name), "message": message})
        if errors:
            return None, errors
        return cleaned, []

    def cleaners(self):
        """{field: function of the cell's text giving its cleaned value or raising
        ValidationError}, in column order (cells.py)."""
        raise NotImplementedError

    def check_row(self, cleaned):
        """(field, message) for each rule between the row's cells that passed their own
        checks (none by default)."""
        return []

    # --- against the database ------------------------------------------------------------

    def context(self, run):
        """What every chunk needs, loaded once per run: bounded by the organisation's size."""
        organisation = run.organisation
        found = {}
        for premises in self.premises_query(organisation):
            premises.organisation = organisation  # all of them: no join, no query each
            found[premises.ods_code] = premises
        return {"premises": found, "organisation": organisation}

    def premises_query(self, organisation):
        """The organisation's premises, with what classify and apply read of them."""
        return Premises.objects.filter(organisation=organisation)

    def prepare(self, items, ctx):
        """Resolve what the cells name against ctx before classify (nothing by default)."""

    def classify(self, items, ctx):
        """Set action, changes and errors on each (row, cleaned) pair; return apply steps."""
        raise NotImplementedError

    def apply(self, *, actor, run, steps, ctx):
        raise NotImplementedError

    def apply_set_based(self, *, actor, run, ctx):
        """Apply, before the chunks, the rows that need no classify again, in a few
        statements; they are left out of the chunks. Returns how many (all added)."""
        return 0

    def unknown_premises_message(self, code, ctx):
        if Premises.objects.filter(ods_code=code).exists():
            return (
                f"{code} is a premises of another organisation, so this file cannot change "
                f"it. Check the ODS code, or ask the portal team if the premises has moved "
                f"to {ctx['organisation'].name}."
            )
        return f"{ctx['organisation'].name} has no premises with ODS code {code}"


def _error(row, column, message):
    row.action = Action.ERROR
    row.errors = [*row.errors, {"column": column, "message": message}]


CHOICE_LABELS = {
    "job_role": dict(Membership.JobRole.choices),
    "status": dict(PersonalAccount.Status.choices),
}


def _changes(current, wanted):
    return {
        name: [_show(current[name], name), _show(value, name)]
        for name, value in wanted.items()
        if current[name] != value
    }


def _show(value, name=None):
    """A value as the preview shows it: yes/no, dates as 7 December 2026, choices by label."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime.date):
        return f"{value:%-d %B %Y}"
    if name in CHOICE_LABELS:
        return CHOICE_LABELS[name].get(value, str(value))
    return str(value)


# --- ICB areas ---------------------------------------------------------------------------


def icb_key(text):
    return " ".join((text or "").split()).lower()


def icb_areas():
    """{lower-case name: Region} for every way an ICB area may be given: the portal's name
    ("West Yorkshire ICB"), its ODS code ("QWO") and its official name ("NHS West Yorkshire
    Integrated Care Board"). One query; there are 42 ICBs."""
    found = {}
    for region in Region.objects.all():
        for text in (region.name, region.ods_code, region.official_name):
            if text:
                found.setdefault(icb_key(text), region)
    return found


def icb_unknown_message(text):
    return (
        f"'{text}' is not an ICB area the portal knows. Give the area's ODS code (like QWO), "
        "its official name (like NHS West Yorkshire Integrated Care Board) or its name as "
        "the portal shows it (like West Yorkshire ICB)."
    )


# --- Premises ----------------------------------------------------------------------------


PREMISES_CLEANERS = {
    "ods_code": lambda value: cells.ods_code(
        value, missing="Enter the premises' ODS code, like FA123"
    ),
    "name": lambda value: cells.words(value, max_length=200, missing="premises name"),
    "address_line_1": lambda value: cells.words(
        value, max_length=200, missing="first line of the address"
    ),
    "address_line_2": lambda value: cells.words(value, max_length=200),
    "town": lambda value: cells.words(value, max_length=100, missing="town or city"),
    "postcode": cells.postcode,
    # Matched against the ICB areas once per chunk, in PremisesKind.prepare.
    "region": lambda value: cells.words(value, missing="ICB area, like West Yorkshire ICB or QWO"),
}


class PremisesKind(ImportKind):
    kind = ImportRun.Kind.PREMISES
    columns = (
        Column("ods_code", "ODS code", "5 characters starting with F, like FA123"),
        Column("name", "Premises name", "As patients know it"),
        Column("address_line_1", "Address line 1", "Building and street"),
        Column("address_line_2", "Address line 2", "Optional", required=False),
        Column("town", "Town or city", "Like Leeds"),
        Column("postcode", "Postcode", "Like LS1 4AP"),
        Column("region", "ICB area", "Like West Yorkshire ICB"),
    )
    FIELDS = ("name", "address_line_1", "address_line_2", "town", "postcode", "region")

    def key(self, data):
        return normalise_ods_code(data.get("ods_code"))

    def cleaners(self):
        return PREMISES_CLEANERS

    def premises_query(self, organisation):
        return super().premises_query(organisation).select_related("region")

    def context(self, run):
        ctx = super().context(run)
        ctx["regions"] = icb_areas()
        ctx["regions_by_id"] = {region.pk: region for region in ctx["regions"].values()}
        return ctx

    def cleaned_to_json(self, cleaned):
        values = dict(cleaned)
        if isinstance(values.get("region"), Region):
            values["region"] = values["region"].pk
        return super().cleaned_to_json(values)

    def cleaned_from_json(self, stored, ctx):
        values = super().cleaned_from_json(stored, ctx)
        values["region"] = ctx["regions_by_id"].get(values["region"])
        return values

    def prepare(self, items, ctx):
        kept = []
        for row, cleaned in items:
            if isinstance(cleaned["region"], str):
                region = ctx["regions"].get(icb_key(cleaned["region"]))
                if region is None:
                    _error(row, "ICB area", icb_unknown_message(cleaned["region"]))
                    continue
                cleaned["region"] = region
            kept.append((row, cleaned))
        return kept

    def classify(self, items, ctx):
        steps = []
        for row, cleaned in self.prepare(items, ctx):
            premises = ctx["premises"].get(cleaned["ods_code"])
            if premises is None:
                if Premises.objects.filter(ods_code=cleaned["ods_code"]).exists():
                    _error(row, "ODS code", self.unknown_premises_message(cleaned["ods_code"], ctx))
                    continue
                row.action = Action.ADD
                row.changes = {name: ["", _show(cleaned[name])] for name in self.FIELDS}
                steps.append(("create", row, cleaned))
                continue
            current = {name: getattr(premises, name) for name in self.FIELDS}
            row.changes = _changes(current, {name: cleaned[name] for name in self.FIELDS})
            row.action = Action.CHANGE if row.changes else Action.UNCHANGED
            if row.changes:
                steps.append(("update", row, cleaned, premises))
        return steps

    def apply(self, *, actor, run, steps, ctx):
        for step in steps:
            fields = {name: step[2][name] for name in self.FIELDS}
            if step[0] == "create":
                premises = account_services.premises_create(
                    actor=actor,
                    organisation=run.organisation,
                    ods_code=step[2]["ods_code"],
                    **fields,
                )
                ctx["premises"][premises.ods_code] = premises
            else:
                account_services.premises_update(actor=actor, premises=step[3], **fields)


# --- Staff memberships -------------------------------------------------------------------


JOB_ROLES = Membership.JobRole.choices
JOB_ROLE_KEYS = cells.choices_lookup(JOB_ROLES)


def _job_role(value):
    if not cells.text(value):
        raise ValidationError("Enter the job role, like Dispenser")
    return cells.choice(value, JOB_ROLES, JOB_ROLE_KEYS, "job role")


STAFF_CLEANERS = {
    "email": lambda value: cells.email(value, missing="Enter the person's email address"),
    "full_name": lambda value: cells.words(value, max_length=150, missing="person's full name"),
    "premises_ods_code": lambda value: cells.ods_code(
        value, missing="Enter the ODS code of the premises they work at"
    ),
    "job_role": _job_role,
    "is_manager": cells.yes_no,
    "start_date": cells.date,
    "end_date": cells.date,
}


@dataclass
class StaffStep:
    op: str  # "invite", "add", "update", "reinvite"
    row: ImportRow
    cleaned: dict
    premises: Premises
    user: User | None = None
    membership: Membership | None = None
    invitation: Invitation | None = None
    fields: dict = field(default_factory=dict)


class StaffKind(ImportKind):
    kind = ImportRun.Kind.STAFF
    date_fields = ("start_date", "end_date")
    extra_labels = {"premises": "Premises ODS code"}
    columns = (
        Column("email", "Email address", "Their own work email, like sam.jones@example.com"),
        Column("full_name", "Full name", "Like Sam Jones"),
        Column("premises_ods_code", "Premises ODS code", "Where they work, like FA123"),
        Column(
            "job_role",
            "Job role",
            "Pharmacist, Pharmacy technician, Dispenser, Counter assistant or Other",
        ),
        Column("is_manager", "Premises manager", "yes or no", required=False),
        Column("start_date", "Start date", "Like 27/03/2026; blank for today", required=False),
        Column(
            "end_date",
            "End date",
            "The first day no longer worked; blank if still working",
            required=False,
        ),
    )

    def key(self, data):
        email = (data.get("email") or "").strip().lower()
        return f"{email}|{normalise_ods_code(data.get('premises_ods_code'))}"

    def cleaners(self):
        return STAFF_CLEANERS

    def check_row(self, cleaned):
        start, end = cleaned.get("start_date"), cleaned.get("end_date")
        if start and end and end < start:
            return [("end_date", f"The end date is before the start date, {start:%-d %B %Y}")]
        return []

    def classify(self, items, ctx):
        today = timezone.localdate()
        now = timezone.now()
        emails = {cleaned["email"] for _, cleaned in items}
        users = {
            user.email: user
            for user in User.objects.filter(one_of(User, "email", emails)).order_by()
        }
        premises_ids = {p.pk for p in ctx["premises"].values()}
        memberships = {}
        if users:
            active = Membership.objects.filter(
                Q(end_date__isnull=True) | Q(end_date__gt=today),
                user_id__in=[u.pk for u in users.values()],
                premises__organisation=ctx["organisation"],
            ).order_by("start_date")
            for membership in active:
                memberships[(membership.user_id, membership.premises_id)] = membership
        invitations = {}
        new_emails = emails - set(users)
        if new_emails and premises_ids:
            pending = Invitation.objects.filter(
                one_of(Invitation, "email", new_emails),
                premises__organisation=ctx["organisation"],
                accepted_at__isnull=True,
                revoked_at__isnull=True,
                expires_at__gt=now,
            ).order_by("created_at")
            for invitation in pending:
                invitations[(invitation.email, invitation.premises_id)] = invitation
        steps = []
        for row, cleaned in items:
            premises = ctx["premises"].get(cleaned["premises_ods_code"])
            if premises is None:
                _error(
                    row,
                    "Premises ODS code",
                    self.unknown_premises_message(cleaned["premises_ods_code"], ctx),
                )
                continue
            step = self._classify_row(
                row, cleaned, premises, users, memberships, invitations, today
            )
            if step is not None:
                steps.append(step)
        return steps

    def _classify_row(self, row, cleaned, premises, users, memberships, invitations, today):
        user = users.get(cleaned["email"])
        wanted = {"job_role": cleaned["job_role"], "is_manager": cleaned["is_manager"]}
        membership = memberships.get((user.pk, premises.pk)) if user else None
        if membership is not None:
            if cleaned["start_date"]:
                wanted["start_date"] = cleaned["start_date"]
            if cleaned["end_date"]:
                wanted["end_date"] = cleaned["end_date"]
            start = wanted.get("start_date", membership.start_date)
            if cleaned["end_date"] and cleaned["end_date"] < start:
                _error(
                    row,
                    "End date",
                    f"The end date is before the start date, {start:%-d %B %Y}",
                )
                return None
            current = {name: getattr(membership, name) for name in wanted}
            row.changes = _changes(current, wanted)
            row.action = Action.CHANGE if row.changes else Action.UNCHANGED
            if row.changes:
                _name_kept(row, user, cleaned)
                return StaffStep("update", row, cleaned, premises, user, membership, fields=wanted)
            return None
        if cleaned["end_date"] and cleaned["end_date"] <= today:
            # A leaver who has no membership here: nothing to end.
            row.action = Action.UNCHANGED
            row.changes = {}
            return None
        if user is not None:
            if not user.is_active:
                _error(
                    row,
                    "Email address",
                    "This person's portal account is switched off. Ask the portal team to "
                    "switch it back on, or leave them out of the file.",
                )
                return None
            row.action = Action.ADD
            row.changes = _new_membership_changes(cleaned, premises, today)
            _name_kept(row, user, cleaned)
            return StaffStep("add", row, cleaned, premises, user)
        invitation = invitations.get((cleaned["email"], premises.pk))
        wanted["start_date"] = cleaned["start_date"]
        wanted["end_date"] = cleaned["end_date"]
        if invitation is not None:
            current = {
                "job_role": invitation.job_role,
                "is_manager": invitation.is_manager,
                "start_date": invitation.start_date,
                "end_date": invitation.end_date,
            }
            row.changes = _changes(current, wanted)
            if not row.changes:
                row.action = Action.UNCHANGED
                return None
            row.action = Action.CHANGE
            return StaffStep("reinvite", row, cleaned, premises, invitation=invitation)
        row.action = Action.ADD
        row.changes = {
            "email": ["", cleaned["email"]],
            "full_name": ["", cleaned["full_name"]],
            **_new_membership_changes(cleaned, premises, None),
        }
        # Kept with the cleaned values, so the apply invites such rows in a few statements
        # when nothing this read has changed (apply_set_based).
        cleaned[bulk.NEW_TO_PORTAL] = True
        return StaffStep("invite", row, cleaned, premises)

    def apply(self, *, actor, run, steps, ctx):
        bulk.staff_steps_apply(actor=actor, run=run, steps=steps)

    def apply_set_based(self, *, actor, run, ctx):
        """Invite the people of every row the check found new to the portal, straight from
        the staged rows, when nothing classify read for them has changed since; they are
        the bulk of a big file and need no Python each. Returns how many rows (all added),
        or 0 when any such row changed: then every row is classified again."""
        now = timezone.now()
        if bulk.stale_invitations(
            run=run, organisation=ctx["organisation"], today=timezone.localdate(), now=now
        ):
            return 0
        expires = invitation_expiry(now)
        return bulk.invitations_from_rows(actor=actor, run=run, now=now, expires=expires)


def _name_kept(row, user, cleaned):
    """Say in the preview when the file gives someone on the portal another name: an
    import does not change it (each person keeps their own name up to date)."""
    if not _same_words(user.full_name, cleaned["full_name"]):
        row.changes["full_name"] = [
            user.full_name,
            f"{cleaned['full_name']} (not changed: people change their own name on the portal)",
        ]


def _same_words(a, b):
    return " ".join((a or "").split()).casefold() == " ".join((b or "").split()).casefold()


def _new_membership_changes(cleaned, premises, today):
    """What a new membership or invitation sets, as the preview shows it. A blank start is
    today for someone already on the portal, the day they accept for someone invited."""
    start = cleaned["start_date"] or today
    return {
        "premises": ["", premises.ods_code],
        "job_role": ["", _show(cleaned["job_role"], "job_role")],
        "is_manager": ["", _show(cleaned["is_manager"])],
        "start_date": ["", _show(start) if start else "the day they accept the invitation"],
        "end_date": ["", _show(cleaned["end_date"]) or "none: still working"],
    }


# --- NHSmail accounts and links ----------------------------------------------------------


ACCOUNT_STATUSES = PersonalAccount.Status.choices
ACCOUNT_STATUS_KEYS = cells.choices_lookup(ACCOUNT_STATUSES)


def _account_status(value):
    if not cells.text(value):
        return PersonalAccount.Status.LIVE
    return cells.choice(value, ACCOUNT_STATUSES, ACCOUNT_STATUS_KEYS, "NHSmail account status")


NHSMAIL_CLEANERS = {
    "email": lambda value: cells.email(
        value, missing="Enter the person's email address on the portal"
    ),
    "nhsmail_address": lambda value: cells.nhsmail_address(value, personal=True),
    "status": _account_status,
    "shared_mailbox": lambda value: cells.nhsmail_address(value, personal=False),
}


class NhsmailKind(ImportKind):
    kind = ImportRun.Kind.NHSMAIL
    extra_labels = {"address": "NHSmail address"}
    columns = (
        Column("email", "Email address", "Their email on the portal"),
        Column(
            "nhsmail_address",
            "NHSmail address",
            "Their own, like sam.jones@nhs.net; never the shared mailbox",
        ),
        Column(
            "status",
            "Status",
            "Live, Requested, Inactive, Disabled for leave, Leaver or Deleted; blank for Live",
            required=False,
        ),
        Column(
            "shared_mailbox",
            "Shared mailbox",
            "Like pharmacy.fa123@nhs.net; blank for no link",
            required=False,
        ),
    )

    def key(self, data):
        # One row per link: the same person may be on several rows, one per shared mailbox.
        email = (data.get("email") or "").strip().lower()
        return f"{email}|{normalise_nhsmail(data.get('shared_mailbox'))}"

    def cleaners(self):
        return NHSMAIL_CLEANERS

    def context(self, run):
        ctx = super().context(run)
        mailboxes = SharedMailbox.objects.filter(premises__organisation=run.organisation)
        ctx["mailboxes"] = {m.address: m for m in mailboxes.select_related("premises")}
        ctx["mailboxes_by_premises"] = {m.premises_id: m for m in ctx["mailboxes"].values()}
        # The account each person's earlier rows record: {user id: (address, status, row)}.
        ctx["planned"] = {}
        return ctx

    def _mailbox(self, address, ctx):
        """(SharedMailbox, None) for a current address or a legacy alias the portal can
        place; else (None, message saying what to enter instead)."""
        mailbox = ctx["mailboxes"].get(address)
        if mailbox is not None:
            return mailbox, None
        organisation = ctx["organisation"].name
        legacy = LEGACY_ALIAS.match(address)
        if legacy:
            premises = ctx["premises"].get(legacy.group("code").upper())
            mailbox = ctx["mailboxes_by_premises"].get(premises.pk) if premises else None
            if mailbox is not None:
                return mailbox, None
            return None, (
                f"{address} is an old-style shared mailbox alias, and no premises of "
                f"{organisation} has a shared mailbox for its ODS code. Enter the current "
                "address, pharmacy.<ODS code>@nhs.net, like pharmacy.fa123@nhs.net."
            )
        if address.startswith("nhspharmacy."):
            return None, (
                f"{address} is an old-style shared mailbox alias the portal cannot place. "
                "Enter the current address, pharmacy.<ODS code>@nhs.net, like "
                "pharmacy.fa123@nhs.net."
            )
        return None, f"No premises of {organisation} has the shared mailbox {address}"

    def classify(self, items, ctx):
        today = timezone.localdate()
        emails = {cleaned["email"] for _, cleaned in items}
        users = {u.email: u for u in User.objects.filter(email__in=emails)}
        works_at = {}
        for user_id, premises_id in (
            Membership.objects.current(today)
            .filter(user__in=users.values(), premises__organisation=ctx["organisation"])
            .values_list("user_id", "premises_id")
        ):
            works_at.setdefault(user_id, set()).add(premises_id)
        accounts = {a.user_id: a for a in PersonalAccount.objects.filter(user__in=users.values())}
        addresses = {cleaned["nhsmail_address"] for _, cleaned in items}
        taken = dict(
            PersonalAccount.objects.filter(address__in=addresses).values_list("address", "user_id")
        )
        # Any premises' shared mailbox, not only this organisation's: never a personal account.
        shared = set(
            SharedMailbox.objects.filter(address__in=addresses).values_list("address", flat=True)
        )
        links = set(
            MailboxLink.objects.current()
            .filter(account__user__in=users.values())
            .values_list("account__user_id", "mailbox_id")
        )
        steps = []
        for row, cleaned in items:
            user = users.get(cleaned["email"])
            if user is None or user.pk not in works_at:
                _error(
                    row,
                    "Email address",
                    f"No one with this email works at a premises of {ctx['organisation'].name}",
                )
                continue
            if cleaned["nhsmail_address"] in shared:
                _error(row, "NHSmail address", shared_mailbox_message(cleaned["nhsmail_address"]))
                continue
            owner = taken.get(cleaned["nhsmail_address"])
            if owner is not None and owner != user.pk:
                _error(
                    row,
                    "NHSmail address",
                    "This NHSmail address is already recorded for another person",
                )
                continue
            mailbox = None
            if cleaned["shared_mailbox"]:
                mailbox, problem = self._mailbox(cleaned["shared_mailbox"], ctx)
                if mailbox is None:
                    _error(row, "Shared mailbox", problem)
                    continue
                if mailbox.premises_id not in works_at[user.pk]:
                    _error(
                        row,
                        "Shared mailbox",
                        f"{user.full_name} does not work at {mailbox.premises.name}, whose "
                        "shared mailbox this is",
                    )
                    continue
            account = accounts.get(user.pk)
            wanted = {"address": cleaned["nhsmail_address"], "status": cleaned["status"]}
            planned = ctx["planned"].get(user.pk)
            if planned is not None:
                # An earlier row records this person's account: later rows add links.
                if (planned[0], planned[1]) != (wanted["address"], wanted["status"]):
                    _error(
                        row,
                        "NHSmail address",
                        f"Row {planned[2]} gives {user.full_name} the NHSmail account "
                        f"{planned[0]} ({_show(planned[1], 'status')}). Give the same "
                        "address and status on every row for one person.",
                    )
                    continue
                current = wanted
            elif account:
                current = {"address": account.address, "status": account.status}
            else:
                current = {"address": None, "status": None}
            ctx["planned"].setdefault(user.pk, (wanted["address"], wanted["status"], row.number))
            changes = _changes(current, wanted)
            link_needed = mailbox is not None and (user.pk, mailbox.pk) not in links
            if link_needed:
                given = cleaned["shared_mailbox"]
                changes["shared_mailbox"] = [
                    "",
                    mailbox.address
                    if given == mailbox.address
                    else f"{mailbox.address} (the file gives the old alias {given})",
                ]
            row.changes = changes
            if not changes:
                row.action = Action.UNCHANGED
                continue
            row.action = Action.ADD if account is None and planned is None else Action.CHANGE
            steps.append(
                (
                    row,
                    cleaned,
                    user,
                    mailbox if link_needed else None,
                    bool({"address", "status"} & set(changes)),
                )
            )
        return steps

    def apply(self, *, actor, run, steps, ctx):
        for _row, cleaned, user, mailbox, account_changes in steps:
            if account_changes:
                account = nhsmail_services.account_record(
                    actor=actor,
                    person=user,
                    address=cleaned["nhsmail_address"],
                    status=cleaned["status"],
                )
            else:
                account = PersonalAccount.objects.get(user=user)
            if mailbox is not None:
                nhsmail_services.link_create(
                    actor=actor, premises=mailbox.premises, account=account
                )


# nhspharmacy.<place>.<name><ODS code>@nhs.net: the code is the last five characters.
LEGACY_ALIAS = re.compile(r"^nhspharmacy\.[^@]*(?P<code>f[a-z0-9]{4})@nhs\.net$", re.IGNORECASE)

KINDS = {kind.kind: kind() for kind in (PremisesKind, StaffKind, NhsmailKind)}


def kind_for(run_or_kind):
    return KINDS[getattr(run_or_kind, "kind", run_or_kind)]


def invitation_expiry(now):
    return now + timedelta(days=settings.INVITATION_VALID_DAYS)

"""What every kind of import file shares: its columns, how a row's cells are checked
(formulas refused, words for none read as blank, then cells.py per column), and how the
preview shows what a row would change."""

import datetime
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError

from accounts.models import Membership, Premises
from nhsmail.models import PersonalAccount

from ..cells import header_key
from ..files import FileProblem
from ..models import ImportRow

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


def invitation_expiry(now):
    return now + timedelta(days=settings.INVITATION_VALID_DAYS)

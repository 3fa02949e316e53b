"""Lists of values sent to the database as one parameter.

`IN (%s, %s, ...)` with thousands of values costs more to build and send than the query
costs to run: psycopg quotes each value into the statement. A PostgreSQL array, or a
JSON list read by SQLite's json_each, is one parameter whatever its length.
"""

import json

from django.db import connection
from django.db.models import BooleanField
from django.db.models.expressions import RawSQL


def in_list(expression, values):
    """(SQL, params) for `expression` being one of `values` (strings or integers).

    On PostgreSQL integers go as an array's text ("{1,2,3}") and strings as a JSON list:
    the driver quoting a list element by element took a tenth of applying a big file.
    """
    values = list(values)
    if connection.vendor != "postgresql":
        return f"{expression} IN (SELECT value FROM json_each(%s))", [json.dumps(values)]
    if not values:
        return "1 = 0", []
    if all(type(value) is int for value in values):
        return f"{expression} = ANY(%s::bigint[])", ["{" + ",".join(map(str, values)) + "}"]
    return (
        f"{expression} = ANY(ARRAY(SELECT jsonb_array_elements_text(%s::jsonb)))",
        [json.dumps(values)],
    )


def one_of(model, field_name, values):
    """A filter for querysets of `model`: the field's column is one of `values`."""
    column = model._meta.get_field(field_name).column
    qualified = f"{connection.ops.quote_name(model._meta.db_table)}."
    qualified += connection.ops.quote_name(column)
    sql, params = in_list(qualified, values)
    return RawSQL(sql, params, output_field=BooleanField())

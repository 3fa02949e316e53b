"""What the smartcards selectors share: the area's name, live states, counting helpers."""

from django.db.models import F, Func, IntegerField, Subquery
from django.db.models.functions import Coalesce

from ..models import SmartcardRequest

ACTIVE = SmartcardRequest.ACTIVE
AREA = "smartcards"


class _Count(Func):
    """COUNT over a correlated subquery, without the GROUP BY Count() would add."""

    function = "COUNT"
    output_field = IntegerField()


class _CountDistinct(_Count):
    template = "%(function)s(DISTINCT %(expressions)s)"


def _count(queryset, expression="pk", *, distinct=False):
    counter = _CountDistinct if distinct else _Count
    return Coalesce(
        Subquery(queryset.order_by().annotate(n=counter(F(expression))).values("n")[:1]), 0
    )

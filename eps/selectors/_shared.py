"""What the EPS reads share: the area's key, the movement kinds and order statuses."""

from __future__ import annotations

from ..models import StockMovement, TokenOrder

AREA = "eps"

Kind = StockMovement.Kind
Status = TokenOrder.Status

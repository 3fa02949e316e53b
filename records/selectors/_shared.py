"""What the records selectors share."""

AREA = "records"

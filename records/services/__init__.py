"""Writes for the records area. Each service checks permission, validates, changes state,
writes the audit event and queues email on commit. Problems with what was typed come back
as a ValidationError keyed by field name, so views put them next to the field.

By topic:
- guidance: creating and editing guidance pages, each save a new version;
- reviews: the weekly guidance review reminders;
- readiness: staff readiness for SCR and NCRS (access, training, declarations);
- governance: the premises' SCR governance person.
"""

from ._shared import EARLIEST_TRAINING_DATE
from .governance import scr_governance_person_set
from .guidance import (
    GUIDANCE_FIELDS,
    MAX_REVIEW_MONTHS,
    GuidanceEditConflict,
    guidance_page_create,
    guidance_page_update,
)
from .readiness import readiness_record
from .reviews import REVIEW_JOB, guidance_review_reminders_send, week_of

__all__ = [
    "EARLIEST_TRAINING_DATE",
    "GUIDANCE_FIELDS",
    "MAX_REVIEW_MONTHS",
    "REVIEW_JOB",
    "GuidanceEditConflict",
    "guidance_page_create",
    "guidance_page_update",
    "guidance_review_reminders_send",
    "readiness_record",
    "scr_governance_person_set",
    "week_of",
]

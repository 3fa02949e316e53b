"""Writes for bulk import: upload (stage the rows), check (the preview), confirm and apply
(one transaction for the whole file), discard, and ending the memberships of people a
full staff list leaves out. Each checks permission and writes audit events.
"""

from .apply import import_apply, import_confirm, import_discard
from .check import import_check
from .common import APPLY_CHUNK, CHUNK, KIND_PERMISSIONS, ImportStale, progress_get, progress_set
from .follow_up import import_end_missing, import_follow_up
from .upload import import_upload

__all__ = [
    "APPLY_CHUNK",
    "CHUNK",
    "KIND_PERMISSIONS",
    "ImportStale",
    "import_apply",
    "import_check",
    "import_confirm",
    "import_discard",
    "import_end_missing",
    "import_follow_up",
    "import_upload",
    "progress_get",
    "progress_set",
]

"""Reads for SCR/NCRS guidance and readiness, by topic, scoped to what the user may see.

- guidance: guidance pages, their versions, changes and review dates;
- readiness: staff readiness per premises, and the figures the standing reads;
- organisations: the head-office readiness view and the SCR governance person;
- home: the home page panel.
"""

from ._shared import AREA
from .guidance import (
    AREA_ORDER,
    VERSION_FIELDS,
    DiffLine,
    VersionRow,
    can_edit_guidance,
    guidance_due_for_review,
    guidance_history,
    guidance_page_for_editing,
    guidance_page_get,
    guidance_pages_for_user,
    guidance_past_review,
    guidance_search,
    guidance_version_changes,
    guidance_version_get,
)
from .home import HomePanel, home_panel
from .organisations import (
    Governance,
    can_manage_governance,
    governance_for,
    governance_organisation_get,
    organisation_premises_by_standing,
    organisation_readiness,
    organisation_readiness_totals,
    person_works_for_organisation,
)
from .readiness import (
    StaffReadiness,
    premises_readiness_summary,
    readiness_figures,
    readiness_for_premises,
    readiness_membership_get,
)

__all__ = [
    "AREA",
    "AREA_ORDER",
    "VERSION_FIELDS",
    "DiffLine",
    "Governance",
    "HomePanel",
    "StaffReadiness",
    "VersionRow",
    "can_edit_guidance",
    "can_manage_governance",
    "governance_for",
    "governance_organisation_get",
    "guidance_due_for_review",
    "guidance_history",
    "guidance_page_for_editing",
    "guidance_page_get",
    "guidance_pages_for_user",
    "guidance_past_review",
    "guidance_search",
    "guidance_version_changes",
    "guidance_version_get",
    "home_panel",
    "organisation_premises_by_standing",
    "organisation_readiness",
    "organisation_readiness_totals",
    "person_works_for_organisation",
    "premises_readiness_summary",
    "readiness_figures",
    "readiness_for_premises",
    "readiness_membership_get",
]

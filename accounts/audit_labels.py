"""What each audit action is called on screen: one place for the words.

Services write machine names ("smartcard_request.raised"); people read "Smartcard
request raised". The audit trail page, its filter and the CSV's "What happened" column
take labels from here; the CSV keeps the machine name in its own column. An action
not listed here (a new one) still reads as words: `action_label` turns its name into a
sentence, so nothing shows as a code while its label is added.
"""

ACTION_LABELS = {
    "api_token.created": "API token created",
    "api_token.revoked": "API token revoked",
    "guidance.created": "Guidance page created",
    "guidance.updated": "Guidance page updated",
    "guidance.review_reminder_sent": "Guidance review reminder sent",
    "import.uploaded": "Spreadsheet uploaded for import",
    "import.applied": "Spreadsheet import applied",
    "import.discarded": "Spreadsheet import discarded",
    "import.memberships_ended": "Memberships ended by an import",
    "ods.uploaded": "ODS file uploaded",
    "ods.applied": "ODS file applied",
    "ods.discarded": "ODS file discarded",
    "invitation.created": "Staff member invited",
    "membership.created": "Joined a premises",
    "membership.ended": "Membership ended",
    "membership.role_changed": "Role changed",
    "nhsmail.account_confirmed": "NHSmail account confirmed in use",
    "nhsmail.account_recorded": "NHSmail account recorded",
    "nhsmail.account_requested": "NHSmail account asked for",
    "nhsmail.account_request_advanced": "NHSmail account request moved on",
    "nhsmail.account_request_submitted": "NHSmail account request submitted for registration",
    "nhsmail.account_request_completed": "NHSmail account request marked live",
    "nhsmail.linked": "NHSmail account linked to the shared mailbox",
    "nhsmail.unlinked": "NHSmail account unlinked from the shared mailbox",
    "nhsmail.mailbox_set": "Shared mailbox recorded",
    "nhsmail.status_changed": "NHSmail compliance changed",
    "organisation.created": "Organisation added",
    "organisation_admin.added": "Head-office admin added",
    "premises.created": "Premises added",
    "premises.updated": "Premises details changed",
    "scr_governance_person.set": "SCR governance lead recorded",
    "scr_governance_person.confirmed": "SCR governance lead confirmed",
    "scr_readiness.updated": "SCR/NCRS readiness updated",
    "scr_readiness.confirmed": "SCR/NCRS readiness confirmed",
    "smartcard_holder.created": "Smartcard details added",
    "smartcard_holder.updated": "Smartcard details changed",
    "smartcard_holder.viewed": "Smartcard holder's profile viewed",
    "smartcard_holder.reminder_renewal": "Certificate renewal reminder sent",
    "smartcard_holder.reminder_final": "Final certificate expiry reminder sent",
    "smartcard_request.raised": "Smartcard request raised",
    "smartcard_request.claimed": "Smartcard request claimed",
    "smartcard_request.released": "Smartcard request claim released",
    "smartcard_request.resolved": "Smartcard request resolved",
    "smartcard_request.referred": "Smartcard request referred to the RA",
    "smartcard_request.declined": "Smartcard request declined",
    "smartcard_request.cancelled": "Smartcard request cancelled",
    "smartcard_request.escalated": "Smartcard request escalated: waiting too long",
    "registration_authority.created": "Registration Authority contact added",
    "registration_authority.updated": "Registration Authority contact changed",
    "tokens.usage_recorded": "EPS token usage recorded",
    "tokens.usage_corrected": "EPS token usage corrected",
    "tokens.count_recorded": "EPS token stock count recorded",
    "tokens.low_stock_alerted": "Low EPS token stock alert sent",
    "tokens.order_drafted": "EPS token order drafted",
    "tokens.order_placed": "EPS token order placed on PCSE Online",
    "tokens.order_expected_delivery_set": "EPS token order delivery date set",
    "tokens.order_received": "EPS token order received",
    "tokens.order_cancelled": "EPS token order cancelled",
    "tokens.order_escalated": "EPS token order chased with PCSE",
    "tokens.pcse_orderer_added": "PCSE Online orderer added",
    "tokens.pcse_orderer_removed": "PCSE Online orderer removed",
    "tokens.settings_changed": "EPS reorder settings changed",
    "two_factor.set_up": "Two-factor authentication set up",
    "two_factor.reset": "Two-factor authentication reset",
    "two_factor.wrong_code": "Wrong two-factor code",
    "two_factor.throttled": "Two-factor code refused: too many wrong codes",
    "sign_in.failed": "Sign-in failed",
    "sign_in.locked_out": "Sign-in locked",
    "access.refused": "Page or action refused",
    "unlocker_cover.added": "Smartcard unlocker cover added",
    "unlocker_cover.removed": "Smartcard unlocker cover removed",
    "user.created": "Person added",
}

_AREA_WORDS = {
    "nhsmail": "NHSmail",
    "tokens": "EPS token",
    "scr": "SCR",
    "ods": "ODS",
    "api": "API",
}


def action_label(action):
    """The words for an audit action: its label, or its name made into a sentence."""
    if action in ACTION_LABELS:
        return ACTION_LABELS[action]
    words = []
    for part in (action or "").replace(".", " ").replace("_", " ").split():
        words.append(_AREA_WORDS.get(part.lower(), part))
    text = " ".join(words)
    return text[:1].upper() + text[1:]


def action_choices():
    """(machine name, label) pairs sorted by label, for the audit trail's filter."""
    return sorted(ACTION_LABELS.items(), key=lambda item: item[1])


CSV_HEADER = [
    "When",
    "Who",
    "What happened",
    "Action (machine name)",
    "About",
    "Premises ODS code",
    "Premises",
    "Changes",
]


def audit_csv_filename():
    from django.utils import timezone

    return f"audit-trail-{timezone.localdate():%Y-%m-%d}.csv"


def audit_csv_rows(events):
    """The audit trail's CSV rows for a queryset of events (premises selected): the date
    and time in the portal's format and local time, the label, and the machine name in a
    column of its own for whoever filters a spreadsheet by it."""
    import json

    from django.utils import timezone

    for event in events.iterator(chunk_size=2000):
        yield [
            f"{timezone.localtime(event.created_at):%-d %B %Y %H:%M}",
            event.actor_label,
            action_label(event.action),
            event.action,
            event.object_repr,
            event.premises.ods_code if event.premises else "",
            event.premises.name if event.premises else "",
            json.dumps(event.changes, sort_keys=True) if event.changes else "",
        ]

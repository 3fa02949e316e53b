"""The ready-to-send message chasing a late order, as community pharmacy guidance asks:
the delivery references, the ODS code, contact details and the date the pharmacy expects
to run out, in writing to PCSE before phoning."""

from dataclasses import dataclass

from django.template.loader import render_to_string

from .pcse import PCSE_CONTACT_URL, PCSE_PHONE, PCSE_URGENT_SUPPLIES_EMAIL


@dataclass(frozen=True)
class EscalationMessage:
    subject: str
    body: str


def escalation_message(*, order, figures, sender):
    premises = order.premises
    subject = (
        f"Late EPS dispensing token order {order.pcse_reference}: "
        f"{premises.name} ({premises.ods_code})"
    )
    body = render_to_string(
        "eps/emails/escalation.txt",
        {
            "order": order,
            "premises": premises,
            "figures": figures,
            "sender": sender,
            "shared_mailbox": f"pharmacy.{premises.ods_code.lower()}@nhs.net",
        },
    ).strip()
    return EscalationMessage(subject=subject, body=body)


CONTACTS = {
    "contact_url": PCSE_CONTACT_URL,
    "urgent_email": PCSE_URGENT_SUPPLIES_EMAIL,
    "phone": PCSE_PHONE,
}

"""PCSE, who supply FP10DT dispensing tokens, and how to reach them.

National, published by PCSE and Community Pharmacy England; kept here in one place so a
change is one edit (docs/decisions/0008-eps-pcse-contacts.md).
"""

PCSE_ONLINE_URL = "https://pcse.england.nhs.uk/services/supplies/"
PCSE_CONTACT_URL = "https://pcse.england.nhs.uk/contact-us/"
PCSE_URGENT_SUPPLIES_EMAIL = "urgentsupplies@nhs.net"
PCSE_PHONE = "0333 014 2884"

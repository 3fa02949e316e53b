"""The guidance every new portal starts with.

Portal admins own the pages once they exist: seeding adds a missing slug and never
touches a page that is already there. Other areas link to these slugs by URL, so they are
part of the portal's interface and never change.
"""

from django.utils import timezone

from .dates import add_months
from .search import refresh_search_vectors

INITIAL_REVIEW_MONTHS = 12

PAGES = [
    {
        "slug": "nhsmail",
        "area": "nhsmail",
        "title": "NHSmail for your pharmacy",
        "summary": (
            "The two-person rule for the shared mailbox, how to get a personal NHSmail "
            "account and how to keep it live."
        ),
        "body": """\
NHSmail is the NHS's own secure email service. It is paid for and run nationally, and it
is approved for sending patient information, so it is how GP practices, hospitals and
other services will expect to reach your pharmacy.

## The rule: two people on the shared mailbox

Every pharmacy has a shared NHSmail mailbox, named `pharmacy.<ODS code>@nhs.net`. Since
9 November 2020 the NHS Terms of Service have required the pharmacy's staff to be able to
send and receive email from it.

In practice that means **at least two members of staff who work at the premises must
have live personal NHSmail accounts linked to the shared mailbox**.

- Fewer than two: the pharmacy does not meet its Terms of Service.
- Exactly two: it meets them, but one leaver or one lapsed account breaks the rule. The
  portal shows this as at risk.
- Three or more: comfortable.

The shared mailbox has one or more owners, who add and remove staff from it in NHSmail.

## Getting a personal account

- **Independent pharmacies:** register each person through the community pharmacy
  NHSmail registration portal.
- **Pharmacy groups (multiples):** ask your head office first. Most groups have their own
  process for requesting NHSmail addresses.

If anything goes wrong while you set up an account, the
[NHSmail pharmacy helpdesk](/guidance/nhsmail-helpdesk/) will take you through it.

## Keeping an account live

An account that nobody signs in to for 30 days becomes inactive, and an inactive account
is deleted 30 days after that. Accounts can be disabled during long-term leave, and a
leaver's account is deleted after 30 days.

The portal cannot see when anyone signs in to NHSmail. Instead it asks each person to
confirm they still use their account, and reminds them before 30 days pass, so your
premises' count of live accounts stays true.
""",
    },
    {
        "slug": "nhsmail-helpdesk",
        "area": "nhsmail",
        "title": "NHSmail help: locked accounts and password resets",
        "summary": (
            "Who to contact when an NHSmail account is locked, a password needs resetting, "
            "or registration gets stuck."
        ),
        "body": """\
The **NHSmail pharmacy helpdesk** is your first point of contact for anything to do
with a personal NHSmail account, including:

- help while you register and set up a new account;
- unlocking an account that has been locked;
- resetting a forgotten password.

Their current contact details are given on the community pharmacy NHSmail registration
portal and on the [contacts page](/guidance/contacts/).

## Before you call

- Have your NHSmail address to hand (it ends `@nhs.net`).
- Know which pharmacy you work at and its ODS code. You can find it on your premises
  page in this portal.
- If you work for a pharmacy group, check whether your head office handles NHSmail
  problems for you first.

## While your account is locked

The shared mailbox rule counts live accounts. If yours is locked or was deleted, tell
your premises manager so they can check the premises still has two live accounts linked
to the shared mailbox. See [NHSmail for your pharmacy](/guidance/nhsmail/).
""",
    },
    {
        "slug": "smartcards",
        "area": "smartcards",
        "title": "Smartcards: unlocking, renewing and the Registration Authority",
        "summary": (
            "What a local smartcard unlocker can do in Care Identity Management, and what "
            "only the Registration Authority can."
        ),
        "body": """\
Your NHS smartcard gives you access to national systems such as EPS and the National
Care Records Service. Problems with it are solved in one of three places.

## 1. Unlock it yourself

Most locked cards can be unlocked by their holder, without anyone else, using
[self-service smartcard unlock](/guidance/smartcard-self-service-unlock/). Try this first.

## 2. A local smartcard unlocker

Since 3 October 2023 local smartcard unlockers work in **Care Identity Management
(CIM)**, which replaced the Care Identity Service application. In CIM an unlocker can:

- search for and view a smartcard holder's profile;
- unlock a smartcard;
- renew a smartcard, **but only while its certificate is within its renewal period**.

A certificate can be renewed locally when it expires within the next 90 days. Once it
has expired, only the Registration Authority can repair the card.

Ask for an unlock or a renewal through this portal: the request goes to the unlockers who
cover your premises.

## 3. The Registration Authority (RA)

Everything else goes to the RA, including:

- a new smartcard, or a replacement for a lost or damaged one;
- adding or changing the roles on a card, such as the SCR role;
- a card whose certificate has already expired.

The RA for pharmacies in West Yorkshire is The Health Informatics Service. Their numbers
are on the [contacts page](/guidance/contacts/).

## Your passcode

Passcodes are 6 to 8 numbers. Never tell anyone your passcode, not even an unlocker or
the RA. This portal never asks for it and has nowhere to store it.
""",
    },
    {
        "slug": "smartcard-self-service-unlock",
        "area": "smartcards",
        "title": "Unlock your own smartcard",
        "summary": (
            "Self-service smartcard unlock: who can use it, how it works and the passcode rule."
        ),
        "body": """\
Every smartcard holder can use the self-service smartcard unlock application, as long as
their Care Identity profile has a valid email address on it.

## Why use it

- There is nothing to register for.
- There are no security questions to remember.
- Nobody has to take the card to a Registration Authority.
- It works on an ordinary internet connection.

## How it works

When your card locks, the link in NHS Identity Agent takes you straight to the
self-service unlock application. Follow the steps there: it checks who you are using the
email address on your Care Identity profile.

If there is no email address on your profile yet, you can add one yourself by following
the NHS guide to updating your Care Identity profile. Until then, ask a local smartcard
unlocker through this portal.

## Choosing a new passcode

If you reset your passcode, the new one must be **6 to 8 numbers**, with no letters.
Keep it to yourself: nobody, including this portal, should ever ask for it.

## If self-service does not work

Raise an unlock request in this portal and a local smartcard unlocker who covers your
premises will help. See [Smartcards](/guidance/smartcards/) for what they can and cannot
do.
""",
    },
    {
        "slug": "eps",
        "area": "eps",
        "title": "Electronic Prescription Service (EPS)",
        "summary": (
            "How prescriptions reach your pharmacy electronically: nominations, electronic "
            "repeat dispensing, tokens and the NHS App."
        ),
        "body": """\
EPS is now used for most prescriptions in England. Instead of a paper form, the
prescription travels electronically from the prescriber to the pharmacy.

## The ways a prescription reaches you

- **Nomination:** a patient chooses a pharmacy, and their prescriptions are sent straight
  to it.
- **Electronic repeat dispensing (eRD):** the prescriber authorises a batch of repeat
  issues at once, and each issue is released to the pharmacy when it is due.
- **Tokens:** a patient without a nomination can be given a token, a printed copy of the
  prescription with a barcode that any pharmacy can scan to download it.
- **NHS App:** patients can see their electronic prescriptions, and the barcodes, in the
  NHS App, and show the barcode instead of a paper token.

## Who can use EPS

Every member of the pharmacy team who dispenses needs a smartcard with the right EPS role.
Team members who are not pharmacists or pharmacy technicians get EPS access only; see
[Summary Care Record and NCRS access](/guidance/scr-ncrs/) for who can have more.

## Tokens

Keep a stock of EPS dispensing tokens: see
[Ordering EPS dispensing tokens](/guidance/eps-tokens/).
""",
    },
    {
        "slug": "eps-tokens",
        "area": "eps",
        "title": "Ordering EPS dispensing tokens",
        "summary": (
            "Dispensing tokens are ordered from Primary Care Support England (PCSE); the "
            "portal helps you keep track of stock and orders."
        ),
        "body": """\
EPS dispensing tokens are ordered through the **Primary Care Support England (PCSE)
Online portal**. This portal does not place the order for you: it helps you notice when
to order and keeps a record of what you ordered.

## Using this portal to keep track

- Record the tokens you have in stock and the ones you use.
- Set a reorder point: when stock falls to it, the portal tells the premises manager.
- When you order on PCSE Online, record the order here with its PCSE reference, so
  anyone at the premises can see it is on its way.
- Record the delivery when it arrives.

## Tips

- Order before you run low: deliveries take time.
- Keep the PCSE reference of every order; PCSE will ask for it if anything goes wrong.
- Store tokens securely. They are prescription stationery.
""",
    },
    {
        "slug": "scr-ncrs",
        "area": "records",
        "title": "Summary Care Record and NCRS access",
        "summary": (
            "What the Summary Care Record and the National Care Records Service are, who in "
            "the team can use them, and how to get access."
        ),
        "body": """\
## What they are

The **Summary Care Record (SCR)** is an electronic summary of key clinical information
about a patient, taken from their GP record: their medicines, allergies and adverse
reactions among it. It is used across the NHS, in A&E departments, hospital pharmacies,
NHS 111, GP out-of-hours services and walk-in centres as well as community pharmacies.

The **National Care Records Service (NCRS)** is the successor to the SCR application
(SCRa). It gives health and care staff with a smartcard national patient information,
and you reach it from the Spine portal link directory.

## Who can have access

- **Pharmacists** and **pharmacy technicians** registered with the General
  Pharmaceutical Council (GPhC), and **trainees** for either, may apply for SCR access.
- Other members of the team get EPS access only.

## How to get access

1. Check the person is eligible, and have their GPhC registration number ready if they
   are registered.
2. Ask the Registration Authority (RA) to add the SCR role to their smartcard. The role
   is given for a premises' ODS code. A locum can hold it against the national locum
   code **FFFFF** instead, to use it wherever they work. See the
   [contacts page](/guidance/contacts/) for the RA.
3. Training: the CPPE e-learning on the Summary Care Record is recommended. It is no
   longer mandatory, but it is the quickest way to learn to use SCR well.

## Your organisation's SCR governance person

Each pharmacy organisation needs an **SCR governance person (SGP)**, the role once called
the privacy officer. The SGP is trained for the role and keeps watch on SCR access
alerts, for example when someone opens a record in an emergency without the patient's
permission.

## Using SCR properly

- Only look at the record of a patient you are caring for.
- Ask the patient's permission to view their record wherever you can.
- Every time a record is opened it is logged, and unusual access raises an alert for
  your SGP.

## What this portal holds

This portal never holds patient records or anything that identifies a patient. It keeps
your team's readiness: who is eligible, who has the SCR role on their smartcard, and who
has done the training. Managers and head offices record and confirm these on each
premises' SCR and NCRS readiness page.
""",
    },
    {
        "slug": "contacts",
        "area": "general",
        "title": "Contacts",
        "summary": (
            "The Registration Authority for West Yorkshire, the NHSmail pharmacy helpdesk "
            "and where to find more help."
        ),
        "body": """\
## Registration Authority (RA) for West Yorkshire

**The Health Informatics Service**

- Main point of contact: [0845 127 2600](tel:08451272600)
- Local number: [01484 355220](tel:01484355220)

Contact the RA for new or replacement smartcards, changes to smartcard roles (including
the SCR role), lost cards, and cards whose certificate has expired. See
[Smartcards](/guidance/smartcards/).

## NHSmail pharmacy helpdesk

Your first point of contact for NHSmail: help while setting up an account, unlocking an
account and resetting a password. Their current contact details are on the community
pharmacy NHSmail registration portal. See
[NHSmail help](/guidance/nhsmail-helpdesk/).

## Dispensing tokens

EPS dispensing tokens are ordered through the Primary Care Support England (PCSE) Online
portal. See [Ordering EPS dispensing tokens](/guidance/eps-tokens/).

## More information

The Community Pharmacy England website has more on NHSmail, smartcards, EPS and the
Summary Care Record.
""",
    },
]


def seed_guidance(page_model, version_model, *, now):
    """Create any missing seeded page, with its first version. Returns the pages made.

    Takes the models so the data migration can pass its historical ones.
    """
    review_by = add_months(timezone.localdate(now), INITIAL_REVIEW_MONTHS)
    created = []
    for content in PAGES:
        if page_model.objects.filter(slug=content["slug"]).exists():
            continue
        page = page_model.objects.create(
            **content,
            status="published",
            review_by=review_by,
            version=1,
            created_at=now,
            updated_at=now,
        )
        version_model.objects.create(
            page=page,
            number=1,
            area=page.area,
            title=page.title,
            summary=page.summary,
            body=page.body,
            status=page.status,
            review_by=page.review_by,
            change_note="Initial content",
            created_at=now,
        )
        created.append(page)
    if created:
        refresh_search_vectors(page_model.objects.filter(pk__in=[p.pk for p in created]))
    return created

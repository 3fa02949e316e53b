"""ICB areas as import files and the ODS pharmacy list give them: by the portal's name,
the area's ODS code or its official name, in any case."""

from accounts.models import Region


def icb_key(text):
    return " ".join((text or "").split()).lower()


def icb_areas():
    """{lower-case name: Region} for every way an ICB area may be given: the portal's name
    ("West Yorkshire ICB"), its ODS code ("QWO") and its official name ("NHS West Yorkshire
    Integrated Care Board"). One query; there are 42 ICBs."""
    found = {}
    for region in Region.objects.all():
        for text in (region.name, region.ods_code, region.official_name):
            if text:
                found.setdefault(icb_key(text), region)
    return found


def icb_unknown_message(text):
    return (
        f"'{text}' is not an ICB area the portal knows. Give the area's ODS code (like QWO), "
        "its official name (like NHS West Yorkshire Integrated Care Board) or its name as "
        "the portal shows it (like West Yorkshire ICB)."
    )

from imports.models import ImportRun
from tests.imports.helpers import make_run
from tests.url_access import Expect, own_organisation

HEAD_OFFICE = frozenset({"head_office", "portal_admin"})
PORTAL_ADMIN = frozenset({"portal_admin"})
NOBODY = frozenset()


def a_run(world):
    return {"pk": make_run(world).pk}


def a_reconciliation(world):
    from imports.models import OdsReconciliation

    return {
        "pk": OdsReconciliation.objects.create(
            file_name="ods.csv", uploaded_by=world.portal_admin
        ).pk
    }


def a_full_staff_run(world):
    return {"pk": make_run(world, is_full_staff_list=True, status=ImportRun.Status.APPLIED).pk}


EXPECTATIONS = {
    "import_index": Expect(None, HEAD_OFFICE),
    "import_home": Expect(own_organisation, HEAD_OFFICE),
    "import_template": Expect(
        lambda world: {"pk": world.premises.organisation_id, "kind": "staff"}, HEAD_OFFICE
    ),
    "import_run": Expect(a_run, HEAD_OFFICE),
    "import_progress": Expect(a_run, HEAD_OFFICE),
    "import_rows_csv": Expect(a_run, HEAD_OFFICE),
    # POST only: a GET is refused before anything is looked up.
    "import_confirm": Expect(a_run, NOBODY, denied=405, outsider=405, outsider_post=404),
    "import_discard": Expect(a_run, NOBODY, denied=405, outsider=405, outsider_post=404),
    "import_end_missing": Expect(a_full_staff_run, HEAD_OFFICE),
    # The ODS reconciliation covers every organisation's premises: portal admins only.
    "ods_home": Expect(None, PORTAL_ADMIN),
    "ods_reconciliation": Expect(a_reconciliation, PORTAL_ADMIN),
    "ods_add": Expect(a_reconciliation, PORTAL_ADMIN),
    "ods_apply": Expect(a_reconciliation, NOBODY, denied=405, outsider=405, outsider_post=404),
    "ods_discard": Expect(a_reconciliation, NOBODY, denied=405, outsider=405, outsider_post=404),
}

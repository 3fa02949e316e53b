from dataclasses import dataclass

from django.urls import reverse

from accounts.permissions import Permission, Role, scope_for
from accounts.selectors import can_view_audit


@dataclass(frozen=True)
class NavItem:
    label: str
    url: str
    active: bool


def navigation(request):
    """Header links for what this user's roles let them do."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    scope = scope_for(user)
    links = [("Home", reverse("home"))]
    if scope.has_permission(Permission.VIEW_COMPLIANCE):
        links.append(("Dashboard", reverse("dashboard")))
    if scope.roles - {Role.HEAD_OFFICE_ADMIN} or scope.is_portal_admin:
        links.append(("Premises", reverse("premises_list")))
    if scope.staff_premises_ids:
        links.append(("NHSmail", reverse("nhsmail_my_account")))
    if scope.is_portal_admin or Role.UNLOCKER in scope.roles:
        links.append(("Smartcards", reverse("smartcard_queue")))
    elif scope.staff_premises_ids:
        links.append(("Smartcard", reverse("smartcard_my_card")))
    if scope.has_permission(Permission.VIEW_TOKENS):
        links.append(("EPS tokens", reverse("tokens_home")))
    if scope.admin_organisation_ids or scope.has_permission(Permission.MANAGE_ORGANISATIONS):
        links.append(("Organisations", reverse("organisation_list")))
    if scope.admin_organisation_ids or scope.is_portal_admin:
        links.append(("Bulk import", reverse("import_index")))
    links.append(("Guidance", reverse("guidance_list")))
    if can_view_audit(user):
        links.append(("Audit trail", reverse("audit_list")))
    path = request.path
    items = []
    for label, url in links:
        active = path == url if url == "/" else path.startswith(url)
        items.append(NavItem(label, url, active))
    return {"nav_items": items}

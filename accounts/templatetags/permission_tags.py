"""Asking, from a template, whether the viewer may do something: so no page links to a
page the viewer may not open. The answer is accounts.permissions.has_permission's."""

from django import template

from ..permissions import Permission, has_permission

register = template.Library()


@register.simple_tag(takes_context=True)
def may(context, permission, obj=None):
    """{% may "VIEW_NHSMAIL" premises as can_view_nhsmail %}: whether the signed-in
    viewer holds the permission (a Permission member's name) for the object."""
    request = context.get("request")
    if request is None:
        return False
    return has_permission(request.user, Permission[permission], obj)

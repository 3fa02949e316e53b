from django.contrib import admin

from .models import AuditEvent, Membership, Organisation, Premises, Region, User

# The Django admin is a developers' back door for superusers only; pharmacy staff and
# portal admins use the portal's own pages, which write audit events.
admin.site.register([User, Region, Organisation, Premises, Membership])


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "actor_label", "action", "object_repr"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from creditvillage.core.models import AuditEvent, DailyRun, Job


class ReadOnlyAdmin(admin.ModelAdmin):
    """Archives, audit and money change only through services (audited); the admin only reads them."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "actor_label", "action", "target_type", "target_id", "region_code", "reason"]
    list_filter = ["action", "target_type"]
    search_fields = ["actor_label", "target_id", "region_code", "reason"]
    date_hierarchy = "created_at"


@admin.register(Job)
class JobAdmin(ReadOnlyAdmin):
    list_display = ["pk", "kind", "status", "done", "total", "created_by", "created_at", "finished_at"]
    list_filter = ["kind", "status"]


@admin.register(DailyRun)
class DailyRunAdmin(ReadOnlyAdmin):
    list_display = ["day", "job", "status", "attempts", "started_at", "finished_at", "result", "error"]
    list_filter = ["job", "status"]
    date_hierarchy = "day"

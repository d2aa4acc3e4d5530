from __future__ import annotations

from django.contrib import admin

from creditvillage.core.admin import ReadOnlyAdmin
from creditvillage.lending.models import Bank, Consent


@admin.register(Bank)
class BankAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "short_name"]
    filter_horizontal = ["regions"]


@admin.register(Consent)
class ConsentAdmin(ReadOnlyAdmin):
    list_display = ["household", "bank", "purpose", "granted_at", "revoked_at"]
    list_filter = ["bank"]

from __future__ import annotations

from django.contrib import admin

from creditvillage.merchants.models import Merchant


@admin.register(Merchant)
class MerchantAdmin(admin.ModelAdmin):
    list_display = ["name", "category", "uscc", "region"]
    search_fields = ["name", "uscc"]
    raw_id_fields = ["region"]

from __future__ import annotations

from django.contrib import admin

from creditvillage.regions.models import Grid, PartyOrganisation, Region, VillagerGroup


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "level", "parent", "is_illustrative", "households_total"]
    list_filter = ["level", "is_illustrative"]
    search_fields = ["code", "name"]
    raw_id_fields = ["parent"]


@admin.register(VillagerGroup)
class VillagerGroupAdmin(admin.ModelAdmin):
    list_display = ["village", "number", "name"]
    search_fields = ["name", "village__name"]
    raw_id_fields = ["village"]


@admin.register(Grid)
class GridAdmin(admin.ModelAdmin):
    list_display = ["village", "number", "name", "leader_name"]
    search_fields = ["name", "village__name"]
    raw_id_fields = ["village"]


@admin.register(PartyOrganisation)
class PartyOrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "region", "secretary_name", "member_count"]
    list_filter = ["kind"]
    search_fields = ["name"]
    raw_id_fields = ["region", "grid"]

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from creditvillage.core.admin import ReadOnlyAdmin
from creditvillage.registry.models import BusinessEntity, Collective, Household, Person, VillageProfile


class PersonInline(admin.TabularInline):
    model = Person
    extra = 0
    fields = ("name", "relation", "sex", "birth_date", "political_status")
    readonly_fields = ("name", "relation", "sex", "birth_date", "political_status")
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: Household | None = None) -> bool:
        return False


@admin.register(Household)
class HouseholdAdmin(ReadOnlyAdmin):
    list_display = ["number", "head_name", "region", "member_count", "status", "grade"]
    list_filter = ["status", "grade"]
    search_fields = ["number", "head_name"]
    list_select_related = ["region"]
    inlines = [PersonInline]


@admin.register(BusinessEntity)
class BusinessEntityAdmin(ReadOnlyAdmin):
    list_display = ["name", "kind", "uscc", "region", "status"]
    list_filter = ["kind", "status"]
    search_fields = ["name", "uscc"]


@admin.register(Collective)
class CollectiveAdmin(ReadOnlyAdmin):
    list_display = ["name", "uscc", "region", "status"]
    search_fields = ["name", "uscc"]


@admin.register(VillageProfile)
class VillageProfileAdmin(ReadOnlyAdmin):
    list_display = ["region", "party_secretary", "population", "is_key", "is_weak", "build_year"]
    list_filter = ["is_key", "is_weak"]

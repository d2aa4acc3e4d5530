from __future__ import annotations

from django.contrib import admin

from creditvillage.collection.models import ArchiveSnapshot, Assignment, Campaign, SpotCheck, Submission, VillageClosure
from creditvillage.core.admin import ReadOnlyAdmin


@admin.register(Campaign)
class CampaignAdmin(ReadOnlyAdmin):
    list_display = ["name", "region", "year", "status", "archives_due"]
    list_select_related = ["region"]


@admin.register(Assignment)
class AssignmentAdmin(ReadOnlyAdmin):
    list_display = ["campaign", "household", "collector", "assigned_at"]
    list_select_related = ["campaign", "household", "collector"]


@admin.register(Submission)
class SubmissionAdmin(ReadOnlyAdmin):
    list_display = ["pk", "campaign", "region", "household", "state", "channel", "self_declared", "version"]
    list_filter = ["state", "channel", "self_declared"]
    list_select_related = ["campaign", "region", "household"]


@admin.register(VillageClosure)
class VillageClosureAdmin(ReadOnlyAdmin):
    list_display = ["campaign", "village", "closed_at", "reopened_at"]


@admin.register(SpotCheck)
class SpotCheckAdmin(ReadOnlyAdmin):
    list_display = ["campaign", "village", "ratio", "seed", "population", "drawn_at"]


@admin.register(ArchiveSnapshot)
class ArchiveSnapshotAdmin(ReadOnlyAdmin):
    list_display = ["subject_type", "subject_id", "campaign", "region", "verified_at"]
    list_select_related = ["campaign", "region"]

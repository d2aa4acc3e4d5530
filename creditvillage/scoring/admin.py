from django.contrib import admin

from creditvillage.scoring.models import GradeScheme, ModelVersion, ScoringModel, SubjectIndicators


@admin.register(ScoringModel)
class ScoringModelAdmin(admin.ModelAdmin):
    list_display = ("code", "subject_type", "name", "is_default")


@admin.register(ModelVersion)
class ModelVersionAdmin(admin.ModelAdmin):
    list_display = ("model", "number", "status", "effective_from", "activated_at")
    list_filter = ("status",)


@admin.register(GradeScheme)
class GradeSchemeAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "veto_grade")


@admin.register(SubjectIndicators)
class SubjectIndicatorsAdmin(admin.ModelAdmin):
    list_display = ("subject_type", "subject_id", "region_code", "computed_at")

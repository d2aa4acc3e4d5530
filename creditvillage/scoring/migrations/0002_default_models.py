"""The shipped grade schemes and default models (household, entity, collective, village), active from 2026-01-01."""

from django.db import migrations


def load(apps, schema_editor):
    from creditvillage.scoring import defaults

    defaults.load(lambda name: apps.get_model("scoring", name))


def unload(apps, schema_editor):
    apps.get_model("scoring", "ScoringModel").objects.all().delete()
    apps.get_model("scoring", "GradeScheme").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("scoring", "0001_initial")]

    operations = [migrations.RunPython(load, unload)]

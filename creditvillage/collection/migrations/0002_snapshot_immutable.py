"""Archive snapshots are immutable in the database too (ADR 0040).

A trigger refuses an UPDATE that changes a snapshot's content (everything but ``verified_by``,
which a deleted user's SET NULL may clear) on both databases, and any DELETE on PostgreSQL.
SQLite has no DELETE trigger: Django's ``flush`` (``demo --reset``, transactional tests) empties
tables with DELETE there, while on PostgreSQL it uses TRUNCATE, which row triggers do not see.
"""

from django.db import migrations

TABLE = "collection_archivesnapshot"
CONTENT = (
    "id",
    "campaign_id",
    "submission_id",
    "region_id",
    "subject_type",
    "subject_id",
    "household_id",
    "data",
    "verified_at",
)
MESSAGE = "archive snapshots are immutable"

POSTGRES_UP = f"""
CREATE OR REPLACE FUNCTION collection_snapshot_immutable() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' OR ({", ".join(f"NEW.{c}" for c in CONTENT)}) IS DISTINCT FROM
                           ({", ".join(f"OLD.{c}" for c in CONTENT)}) THEN
        RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER collection_snapshot_immutable BEFORE UPDATE OR DELETE ON {TABLE}
    FOR EACH ROW EXECUTE FUNCTION collection_snapshot_immutable();
"""
POSTGRES_DOWN = f"""
DROP TRIGGER IF EXISTS collection_snapshot_immutable ON {TABLE};
DROP FUNCTION IF EXISTS collection_snapshot_immutable();
"""
SQLITE_UP = f"""
CREATE TRIGGER collection_snapshot_immutable BEFORE UPDATE ON {TABLE}
FOR EACH ROW WHEN {" OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in CONTENT)}
BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;
"""
SQLITE_DOWN = "DROP TRIGGER IF EXISTS collection_snapshot_immutable;"


def _run(schema_editor, sql: dict[str, str]) -> None:
    statement = sql.get(schema_editor.connection.vendor)
    if statement:
        schema_editor.execute(statement)


def forwards(apps, schema_editor) -> None:
    _run(schema_editor, {"postgresql": POSTGRES_UP, "sqlite": SQLITE_UP})


def backwards(apps, schema_editor) -> None:
    _run(schema_editor, {"postgresql": POSTGRES_DOWN, "sqlite": SQLITE_DOWN})


class Migration(migrations.Migration):
    dependencies = [
        ("collection", "0001_initial"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="archivesnapshot",
            options={
                "base_manager_name": "objects",
                "ordering": ["-verified_at", "-pk"],
                "verbose_name": "档案快照",
                "verbose_name_plural": "档案快照",
            },
        ),
        migrations.RunPython(forwards, backwards),
    ]

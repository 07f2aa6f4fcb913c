"""No migration locks a busy table on PostgreSQL while it builds an index.

CREATE INDEX (what AddIndex, a unique constraint, a unique or indexed field and a foreign
key do) holds a lock that blocks every write to the table until the index is built: on
the deliveries or the audit record that is minutes of a portal that cannot save. A
migration that indexes a table an earlier migration created must use
`AddIndexConcurrently` (django.contrib.postgres.operations, in a migration with
`atomic = False`), or RunSQL with CREATE INDEX CONCURRENTLY. Tables the same migration
creates are empty: anything goes there. The rule is in docs/architecture.md.
"""

import re

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.state import ProjectState

# Written before this rule, while the portal had no busy tables in production: they stay as
# they were applied. Nothing may be added here; a new migration follows the rule.
GRANDFATHERED: frozenset[tuple[str, str]] = frozenset({
    ("forums", "0003_agenda_versions_minutes_workflow"),
    ("forums", "0004_schedule_indexes"),
    ("forums", "0005_meeting_calendar_uid_part"),
    ("notifications", "0002_outbox_deliveries_preferences"),
    ("notifications", "0003_daily_digest"),
    ("notifications", "0004_dispatch_hold_and_supersede"),
    # Predates the rule (this session's merge): written on main while the rule was being
    # written on another branch; each adds a foreign key (an index) to an existing table.
    ("participants", "0003_verified_affiliations_and_domains"),
    ("forums", "0005_search_text_cochair_organization_release"),
})
# The portal's own apps; Django's and the libraries' migrations are their maintainers'.
PROJECT_APPS = ("participants", "forums", "working_groups", "notifications", "audit", "dicas_portal", "operations")

CREATE_INDEX = re.compile(r"\bCREATE\s+(UNIQUE\s+)?INDEX\b(?!\s+CONCURRENTLY)", re.IGNORECASE)


def _indexed(field: models.Field) -> bool:
    return bool(field.db_index or field.unique or (field.is_relation and field.many_to_one and field.db_index))


def _sql_of(operation: migrations.RunSQL) -> str:
    sql = operation.sql
    if isinstance(sql, list | tuple):
        return " ".join(item if isinstance(item, str) else str(item[0]) for item in sql)
    return str(sql)


def locking_operations(operation, app_label: str, state: ProjectState, created_here: set[str]) -> str | None:
    """Why `operation` would lock an existing table, or None."""
    name = getattr(operation, "model_name", None) or getattr(operation, "name", "")
    key = (app_label, str(name).lower())
    existing = key in state.models and key[1] not in created_here
    if isinstance(operation, AddIndexConcurrently):
        return None
    if isinstance(operation, migrations.RunSQL):
        return "RunSQL with CREATE INDEX without CONCURRENTLY" if CREATE_INDEX.search(_sql_of(operation)) else None
    if not existing:
        return None
    if isinstance(operation, migrations.AddIndex):
        return f"AddIndex {operation.index.name} on {name}"
    if isinstance(operation, migrations.AddConstraint) and isinstance(operation.constraint, models.UniqueConstraint):
        return f"AddConstraint (unique: an index) {operation.constraint.name} on {name}"
    if isinstance(operation, migrations.AddField) and _indexed(operation.field):
        return f"AddField {operation.name} with an index on {name}"
    if isinstance(operation, migrations.AlterField) and _indexed(operation.field):
        before = state.models[key].fields.get(operation.name)
        if before is None or not _indexed(before):
            return f"AlterField {operation.name} adds an index on {name}"
    if isinstance(operation, migrations.AlterUniqueTogether | migrations.AlterIndexTogether):
        return f"{type(operation).__name__} on {name}"
    return None


def test_the_grandfathered_migrations_are_still_there():
    """A renamed one would slip out of the rule unnoticed."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    assert GRANDFATHERED <= set(loader.graph.nodes)


def test_no_migration_builds_an_index_that_locks_an_existing_table():
    loader = MigrationLoader(None, ignore_no_migrations=True)
    plan = _plan(loader)
    state = ProjectState(real_apps=set())
    offences = []
    for app_label, migration_name in plan:
        migration = loader.graph.nodes[(app_label, migration_name)]
        # An app's initial migrations (Django splits them for foreign keys between apps)
        # create its tables: they run once, on empty tables.
        checked = app_label in PROJECT_APPS and not migration.initial
        created_here: set[str] = set()
        for operation in migration.operations:
            reason = locking_operations(operation, app_label, state, created_here)
            if checked and reason and (app_label, migration_name) not in GRANDFATHERED:
                offences.append(f"{app_label}.{migration_name}: {reason}")
            if isinstance(operation, AddIndexConcurrently) and migration.atomic:
                offences.append(f"{app_label}.{migration_name}: AddIndexConcurrently needs atomic = False")
            if isinstance(operation, migrations.CreateModel):
                created_here.add(operation.name.lower())
            operation.state_forwards(app_label, state)
    assert not offences, "Use AddIndexConcurrently (docs/architecture.md):\n" + "\n".join(offences)


def _plan(loader: MigrationLoader) -> list[tuple[str, str]]:
    seen: list[tuple[str, str]] = []
    for leaf in sorted(loader.graph.leaf_nodes()):
        for node in loader.graph.forwards_plan(leaf):
            if node not in seen:
                seen.append(node)
    return seen


def test_the_rule_catches_an_index_added_to_an_existing_table():
    state = ProjectState()
    migrations.CreateModel("Thing", [("id", models.AutoField(primary_key=True)),
                                     ("code", models.CharField(max_length=5))]).state_forwards("demo", state)
    index = models.Index(fields=["code"], name="thing_code")
    assert locking_operations(migrations.AddIndex("thing", index), "demo", state, set())
    assert locking_operations(migrations.AddIndex("thing", index), "demo", state, {"thing"}) is None
    assert locking_operations(AddIndexConcurrently("thing", index), "demo", state, set()) is None
    assert locking_operations(migrations.AddField("thing", "owner", models.ForeignKey("auth.User", models.CASCADE)),
                              "demo", state, set())
    assert locking_operations(migrations.AddField("thing", "note", models.TextField(default="")),
                              "demo", state, set()) is None
    assert locking_operations(migrations.RunSQL("CREATE INDEX x ON demo_thing (code)"), "demo", state, set())
    assert locking_operations(migrations.RunSQL("CREATE INDEX CONCURRENTLY x ON demo_thing (code)"),
                              "demo", state, set()) is None

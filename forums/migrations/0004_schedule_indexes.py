"""Indexes for the schedule (issue 8): its order (start, id; and visibility, start, id for
visitors, who see public meetings only), the next meeting to end, and
the longest meeting's length, which bounds the start of the meetings not over yet
(forums.selectors.ending_at_or_after). The index on the start alone is replaced by the
one on (start, id)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("forums", "0003_agenda_versions_minutes_workflow"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="meeting",
            name="meeting_starts_at",
        ),
        migrations.AddIndex(
            model_name="meeting",
            index=models.Index(fields=["starts_at", "id"], name="meeting_starts_at_id"),
        ),
        migrations.AddIndex(
            model_name="meeting",
            index=models.Index(fields=["visibility", "starts_at", "id"], name="meeting_visibility_starts_at"),
        ),
        migrations.AddIndex(
            model_name="meeting",
            index=models.Index(fields=["ends_at"], name="meeting_ends_at"),
        ),
        migrations.AddIndex(
            model_name="meeting",
            index=models.Index(models.F("ends_at") - models.F("starts_at"), name="meeting_length"),
        ),
    ]

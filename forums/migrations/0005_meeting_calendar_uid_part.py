"""Each meeting's calendar UID gets a random part of its own, stored (the domain after "@"
comes from PORTAL_UID_DOMAIN). Meetings that exist already get theirs here, one each."""

import secrets

from django.db import migrations, models

import forums.models


def give_each_meeting_its_part(apps, schema_editor):
    Meeting = apps.get_model("forums", "Meeting")
    meetings = list(Meeting.objects.filter(calendar_uid_part__isnull=True).only("pk"))
    for meeting in meetings:
        meeting.calendar_uid_part = secrets.token_hex(16)
    Meeting.objects.bulk_update(meetings, ["calendar_uid_part"], batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [
        ("forums", "0004_schedule_indexes"),
    ]

    operations = [
        # Nullable first: a default here would give every existing row the same value.
        migrations.AddField(
            model_name="meeting",
            name="calendar_uid_part",
            field=models.CharField(editable=False, max_length=32, null=True, verbose_name="calendar identifier"),
        ),
        migrations.RunPython(give_each_meeting_its_part, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="meeting",
            name="calendar_uid_part",
            field=models.CharField(
                default=forums.models.new_calendar_uid_part, editable=False, max_length=32, unique=True,
                verbose_name="calendar identifier",
            ),
        ),
    ]

"""Each delivery's Message-ID gets a random part of its own, stored, so that a retry carries
the same Message-ID (the domain after "@" comes from PORTAL_MAIL_DOMAIN). Deliveries that
exist already get theirs here, one each."""

import secrets

from django.db import migrations, models

import notifications.models


def give_each_delivery_its_part(apps, schema_editor):
    Delivery = apps.get_model("notifications", "Delivery")
    pending = Delivery.objects.filter(message_id_part__isnull=True).only("pk")
    while True:
        batch = list(pending[:2000])
        if not batch:
            break
        for delivery in batch:
            delivery.message_id_part = secrets.token_hex(16)
        Delivery.objects.bulk_update(batch, ["message_id_part"])


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0003_daily_digest"),
    ]

    operations = [
        # Nullable first: a default here would give every existing row the same value.
        migrations.AddField(
            model_name="delivery",
            name="message_id_part",
            field=models.CharField(editable=False, max_length=32, null=True, verbose_name="message identifier"),
        ),
        migrations.RunPython(give_each_delivery_its_part, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="delivery",
            name="message_id_part",
            field=models.CharField(
                default=notifications.models.new_message_id_part, editable=False, max_length=32,
                verbose_name="message identifier",
            ),
        ),
    ]

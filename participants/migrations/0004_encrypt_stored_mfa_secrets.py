"""TOTP secrets and recovery-code seeds saved before encryption at rest (issue 13, finding 6)
are encrypted with the key from the settings (participants/mfa_secrets.py)."""

from django.db import migrations


def encrypt_existing(apps, schema_editor):
    from participants.mfa_secrets import encrypt_stored_secrets

    encrypt_stored_secrets(apps.get_model("mfa", "Authenticator"))


class Migration(migrations.Migration):
    dependencies = [
        ("participants", "0003_enrolment_link_second_factor_failures"),
        ("mfa", "0003_authenticator_type_uniq"),
    ]

    # Not reversible on purpose: writing the secrets back in clear is what this undoes.
    operations = [migrations.RunPython(encrypt_existing, migrations.RunPython.noop)]

"""A single-use link to set up a second factor, for an account that has none, printed for
the person running the server (who is trusted with the database anyway).

The first administrator, made with `createsuperuser`, has no confirmed address the portal
could mail the link to: this is how they enrol. `--send` mails it to the confirmed address
instead, as the enrolment page does.
"""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from participants import enrolment
from participants.mfa import has_second_factor
from participants.models import EnrolmentLink


class Command(BaseCommand):
    help = "Prints (or mails) a single-use link that lets an account without a second factor set one up."

    def add_arguments(self, parser):
        parser.add_argument("email", help="the account's e-mail address (or user name)")
        parser.add_argument("--send", action="store_true", help="mail it to the confirmed address instead")

    def handle(self, *args, email: str, send: bool, **options):
        User = get_user_model()
        user = (User.objects.filter(email__iexact=email).first()
                or User.objects.filter(username__iexact=email).first())
        if user is None:
            raise CommandError(f"No account has the address {email!r}.")
        if has_second_factor(user):
            raise CommandError("This account has a second factor already: it adds another from its own session.")
        if send:
            if enrolment.send_enrolment_link(user=user, reason=EnrolmentLink.Reason.ASKED) is None:
                raise CommandError("The account has no confirmed address; run the command without --send.")
            self.stdout.write("Sent.")
            return
        now = timezone.now()
        with transaction.atomic():
            EnrolmentLink.objects.filter(user=user, used_at__isnull=True, revoked_at__isnull=True).update(revoked_at=now)
            link = EnrolmentLink.objects.create(user=user, email=user.email, reason=EnrolmentLink.Reason.ASKED,
                                                expires_at=now + enrolment.max_age())
        self.stdout.write("Sign in as this account, then open (once, within "
                          f"{int(enrolment.max_age().total_seconds() // 3600)} hours):")
        self.stdout.write(enrolment.enrolment_url(link))

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from participants.services import erase_person


class Command(BaseCommand):
    help = "Erases a person's personal data for good (and names them in the erasure ledger for later restores)."

    def add_arguments(self, parser):
        parser.add_argument("email", help="the person's e-mail address")
        parser.add_argument("--yes", action="store_true", help="do it without asking")

    def handle(self, *args, email: str, yes: bool = False, **options):
        user = get_user_model().objects.filter(email__iexact=email).first()
        if user is None:
            raise CommandError(f"Nobody has the address {email}.")
        if not yes and input(f"Erase account {user.pk} ({email}) for good? Type yes: ").strip() != "yes":
            raise CommandError("Nothing was erased.")
        erase_person(user=user, by=None)
        self.stdout.write(f"Erased account {user.pk}; it is named in the erasure ledger.")

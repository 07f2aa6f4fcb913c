"""A large, repeatable data set for the benchmarks in bench/ (never for production).

`--meetings 600 --people 3000` makes three years of meetings of every kind across the
working groups, 5–12 agenda items each with the agenda published (what readers see),
papers, published minutes in two versions, people in 200 organisations, 5,000
registrations and memberships. Seeded random, and idempotent: rows are found by their
bench names and only the missing ones are made. Rows go in with bulk inserts in batches,
meeting by meeting chunk, so that `--meetings 60000` takes minutes, not hours.
"""

import random
import zoneinfo
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from forums import cache as page_cache
from forums.models import AgendaItem, AgendaVersion, Document, Forum, Meeting, Minutes, Registration
from participants.models import Country, Organization, Profile
from working_groups.models import Membership, WorkingGroup

BENCH_PASSWORD = "bench-password-2024"
ZONES = ["Asia/Tokyo", "America/New_York", "Pacific/Honolulu"]
BATCH = 2000
# Meetings made (with their items, minutes, papers and agenda versions) per round.
MEETING_CHUNK = 5000


class Command(BaseCommand):
    help = "Loads the benchmark data set (idempotent, seeded random)."

    def add_arguments(self, parser):
        parser.add_argument("--meetings", type=int, default=600)
        parser.add_argument("--people", type=int, default=3000)
        parser.add_argument("--organizations", type=int, default=200)
        parser.add_argument("--registrations", type=int, default=5000)
        parser.add_argument("--seed", type=int, default=2024)

    def handle(self, *args, meetings, people, organizations, registrations, seed, **options):
        if not Forum.objects.filter(acronym="DICAS").exists():
            call_command("load_demo", stdout=self.stdout)
        rng = random.Random(seed)
        with transaction.atomic():
            forum = Forum.objects.get(acronym="DICAS")
            groups = list(WorkingGroup.objects.filter(forum=forum).order_by("pk"))
            orgs = self.organizations(organizations)
            users = self.people(people, orgs, rng)
            self.memberships(users, groups, rng)
            made = self.meetings(forum, groups, meetings, rng)
            self.publish_missing_agendas()
            self.registrations(users, registrations, rng)
        # Bulk inserts send no signals: pages cached before the load must not be served.
        page_cache.content_changed()
        self.stdout.write(self.style.SUCCESS(
            f"Bench data: {Meeting.objects.count()} meetings ({made} new), "
            f"{get_user_model().objects.count()} people, {Registration.objects.count()} registrations."
        ))

    def organizations(self, count: int) -> list[Organization]:
        countries = {code: Country.objects.get(code=code) for code in ("US", "JP", "AU", "IN")}
        Organization.objects.bulk_create(
            [
                Organization(
                    name=f"Bench Organisation {n:03d}", name_ja=f"ベンチ組織{n:03d}",
                    kind=Organization.Kind.GOVERNMENT if n % 10 == 0 else Organization.Kind.INDUSTRY,
                    country=countries[("US", "JP", "JP", "US", "AU", "IN")[n % 6]],
                )
                for n in range(count)
            ],
            ignore_conflicts=True,
        )
        return list(Organization.objects.filter(name__startswith="Bench Organisation ").order_by("name"))

    def people(self, count: int, orgs: list[Organization], rng: random.Random) -> list:
        User = get_user_model()
        password = make_password(BENCH_PASSWORD)
        User.objects.bulk_create(
            [User(username=f"bench{n:05d}@bench.example", email=f"bench{n:05d}@bench.example", password=password)
             for n in range(count)],
            ignore_conflicts=True, batch_size=BATCH,
        )
        users = list(User.objects.filter(username__endswith="@bench.example").order_by("username"))
        have_profile = set(Profile.objects.filter(user__in=users).values_list("user_id", flat=True))
        roles = [Profile.Role.INDUSTRY] * 6 + [Profile.Role.OFFICIAL] * 3 + [Profile.Role.COCHAIR]
        Profile.objects.bulk_create(
            [
                Profile(user=user, full_name=f"Bench Person {index}", full_name_ja=f"ベンチ 太郎{index}",
                        organization=orgs[index % len(orgs)], verified_organization=orgs[index % len(orgs)],
                        role=roles[index % len(roles)],
                        preferred_language="ja" if index % 2 else "en", time_zone=ZONES[index % len(ZONES)])
                for index, user in enumerate(users) if user.pk not in have_profile
            ],
            batch_size=BATCH,
        )
        return users

    def memberships(self, users: list, groups: list[WorkingGroup], rng: random.Random) -> None:
        # Every third person is in one to three working groups.
        Membership.objects.bulk_create(
            [
                Membership(working_group=group, person=user)
                for index, user in enumerate(users) if index % 3 == 0
                for group in groups[: 1 + index % 3]
            ],
            ignore_conflicts=True, batch_size=BATCH,
        )

    def meetings(self, forum: Forum, groups: list[WorkingGroup], count: int, rng: random.Random) -> int:
        existing = set(Meeting.objects.filter(title_en__startswith="Bench meeting ").values_list("title_en", flat=True))
        now = timezone.now()
        first_day = now - timedelta(days=2 * 365)
        kinds = list(Meeting.Kind)
        made = 0
        new = []
        for n in range(count):
            title = f"Bench meeting {n:06d}"
            # Drawn for every n, made or not, so that the same n always gets the same meeting.
            starts = first_day + timedelta(minutes=rng.randrange(3 * 365 * 24 * 60 // 30) * 30)
            hours = rng.choice([2, 3, 6, 8])
            kind = kinds[n % len(kinds)]
            group = groups[n % len(groups)] if kind == Meeting.Kind.WORKING_GROUP or n % 3 == 0 else None
            visibility = (Meeting.Visibility.GROUP_MEMBERS if group and kind == Meeting.Kind.WORKING_GROUP
                          else [Meeting.Visibility.PUBLIC, Meeting.Visibility.PARTICIPANTS][n % 2])
            if title in existing:
                continue
            new.append(Meeting(
                forum=forum, working_group=group, kind=kind, title_en=title, title_ja=f"ベンチ会合{n:06d}",
                starts_at=starts, ends_at=starts + timedelta(hours=hours),
                time_zone=ZONES[n % len(ZONES)], venue_en="Tokyo", venue_ja="東京",
                status=Meeting.Status.HELD if starts < now else Meeting.Status.SCHEDULED,
                visibility=visibility, capacity=200, seats_per_organization=5,
                registration_opens_at=starts - timedelta(days=60), registration_closes_at=starts - timedelta(days=1),
            ))
            if len(new) == MEETING_CHUNK:
                made += self.make_meetings(new, rng)
                new = []
        if new:
            made += self.make_meetings(new, rng)
        return made

    def make_meetings(self, meetings: list[Meeting], rng: random.Random) -> int:
        made = Meeting.objects.bulk_create(meetings, batch_size=BATCH)
        self.contents(made, rng)
        return len(made)

    def contents(self, meetings: list[Meeting], rng: random.Random) -> None:
        items, minutes, papers = [], [], []
        now = timezone.now()
        markings = list(Document.Marking)
        for meeting in meetings:
            for position in range(1, rng.randint(5, 12) + 1):
                items.append(AgendaItem(meeting=meeting, position=position, title_en=f"Item {position} of {meeting.title_en}",
                                        title_ja=f"議題{position}", presenter="Secretariat", duration_minutes=rng.choice([15, 20, 30])))
            if meeting.starts_at < now:
                for version in (1, 2):
                    minutes.append(Minutes(meeting=meeting, version=version, status=Minutes.Status.PUBLISHED,
                                           body=f"## Summary (version {version})\n\n" + "- A decision was taken.\n" * 20))
            papers.append(Document(forum=meeting.forum, meeting=meeting, title=f"Paper for {meeting.title_en}",
                                   file="papers/bench/paper.pdf", marking=markings[meeting.pk % 3]))
        AgendaItem.objects.bulk_create(items, batch_size=BATCH)
        Minutes.objects.bulk_create(minutes, batch_size=BATCH)
        Document.objects.bulk_create(papers, batch_size=BATCH)

    def publish_missing_agendas(self) -> None:
        """Version 1 of every bench meeting's agenda, as `publish_agenda` would freeze it
        (forums.services.agenda.snapshot_items), for the meetings that have none yet."""
        unpublished = (Meeting.objects.filter(title_en__startswith="Bench meeting ", agenda_versions__isnull=True)
                       .values_list("pk", flat=True).order_by("pk"))
        now = timezone.now()
        pending = list(unpublished)
        for start in range(0, len(pending), MEETING_CHUNK):
            chunk = pending[start:start + MEETING_CHUNK]
            snapshots: dict[int, list[dict]] = {pk: [] for pk in chunk}
            for item in AgendaItem.objects.filter(meeting_id__in=chunk).order_by("meeting_id", "position", "pk"):
                snapshots[item.meeting_id].append({
                    "id": item.pk, "title_en": item.title_en, "title_ja": item.title_ja, "presenter": item.presenter,
                    "organization_id": None, "organization_en": "", "organization_ja": "",
                    "duration_minutes": item.duration_minutes, "notes": item.notes,
                    "reviews_action_items": item.reviews_action_items,
                })
            AgendaVersion.objects.bulk_create(
                [AgendaVersion(meeting_id=pk, number=1, items=items, changes={}, published_at=now,
                               search_text=AgendaVersion.search_text_of(items))
                 for pk, items in snapshots.items() if items],
                batch_size=BATCH,
            )

    def registrations(self, users: list, target: int, rng: random.Random) -> None:
        missing = target - Registration.objects.filter(person__username__endswith="@bench.example").count()
        if missing <= 0:
            return
        upcoming = list(Meeting.objects.filter(title_en__startswith="Bench meeting ",
                                               kind__in=[Meeting.Kind.ROUNDTABLE, Meeting.Kind.INDUSTRY_DAY])
                        .values_list("pk", flat=True))
        organization_of = dict(
            Profile.objects.filter(user__in=users, role=Profile.Role.INDUSTRY).values_list("user_id", "organization_id")
        )
        industry = sorted(organization_of)
        taken = set(Registration.objects.values_list("meeting_id", "person_id"))
        new = []
        while len(new) < missing and upcoming and industry:
            pair = (rng.choice(upcoming), rng.choice(industry))
            if pair in taken:
                continue
            taken.add(pair)
            new.append(Registration(meeting_id=pair[0], person_id=pair[1], organization_id=organization_of[pair[1]],
                                    status=Registration.Status.CONFIRMED, consent_given_at=timezone.now()))
        Registration.objects.bulk_create(new, batch_size=BATCH)

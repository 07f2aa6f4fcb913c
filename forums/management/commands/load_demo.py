"""Demonstration data from the public record of the DICAS forum (see shared/DOMAIN.md).

Idempotent: each row is found by its natural key and brought up to date, so running
the command twice leaves the same rows. Upcoming meetings are placed relative to the
day the command runs, so that the schedule is never empty.
"""

import zoneinfo
from datetime import date, datetime, time, timedelta

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.utils import encrypt
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from forums.models import AgendaItem, CoChair, Document, Forum, ForumCountry, Meeting, Minutes
from forums.services.agenda import seed_published_agenda
from participants.affiliations import default_review_on
from participants.models import Affiliation, Country, Organization, Profile, VerifiedDomain
from participants.permissions import PRIVILEGED_ROLES, REVIEWED_ROLES
from working_groups.models import Membership, WorkingGroup

DEMO_PASSWORD = "dicas-demo-2024"
# Officials, co-chairs, the secretariat and the administrator must sign in with a second factor: their demo
# accounts share this authenticator-app secret (base32), printed by the command so that
# it can be added to an app such as Google Authenticator, 1Password or FreeOTP.
DEMO_TOTP_SECRET = "JBSWY3DPEHPK3PXPDICASDEMOTWOFOUR"
MFA_ROLES = {str(role) for role in PRIVILEGED_ROLES}
TOKYO = "Asia/Tokyo"
WASHINGTON = "America/New_York"
HONOLULU = "Pacific/Honolulu"

COUNTRIES = [
    ("US", "United States", "アメリカ合衆国", "USA"),
    ("JP", "Japan", "日本", "JPN"),
    ("AU", "Australia", "オーストラリア", "AUS"),
    ("IN", "India", "インド", "IND"),
]

ORGANIZATIONS = [
    # name, Japanese name, acronym, kind, country
    ("Office of the Under Secretary of Defense for Acquisition and Sustainment", "米国防次官室（取得・維持整備担当）", "OUSD(A&S)", "government", "US"),
    ("Defense Contract Management Agency International", "米国防契約管理庁 国際部門", "DCMA International", "government", "US"),
    ("DCMA Japan", "米国防契約管理庁 日本事務所", "DCMA Japan", "government", "US"),
    ("US Navy 7th Fleet", "米海軍第7艦隊", "C7F", "government", "US"),
    ("US Embassy Tokyo", "在日米国大使館", "", "government", "US"),
    ("US Air Force 374th Contract Squadron", "米空軍第374契約中隊", "374 CONS", "government", "US"),
    ("Ministry of Defense", "防衛省", "MOD", "government", "JP"),
    ("Acquisition, Technology and Logistics Agency", "防衛装備庁", "ATLA", "government", "JP"),
    ("Seto Marine Engineering K.K.", "瀬戸マリンエンジニアリング株式会社", "", "industry", "JP"),
    ("Kanto Aerospace Industries K.K.", "関東航空宇宙工業株式会社", "", "industry", "JP"),
    ("Chubu Precision Components K.K.", "中部精密部品株式会社", "", "industry", "JP"),
    ("Northstar Missile Systems Inc.", "ノーススター・ミサイルシステムズ", "", "industry", "US"),
    ("Meridian Sustainment Partners LLC", "メリディアン・サステインメント・パートナーズ", "", "industry", "US"),
    ("Harborline Logistics Pty Ltd", "ハーバーライン・ロジスティクス", "", "industry", "AU"),
    ("Australian Department of Defence", "オーストラリア国防省", "ADF", "government", "AU"),
]

# E-mail domains the secretariat has verified: a confirmed address there verifies an affiliation.
VERIFIED_DOMAINS = [("mod.go.jp", "MOD"), ("atla.mod.go.jp", "ATLA"), ("dcma.mil", "DCMA International")]
# The industry account whose affiliation awaits the secretariat's approval (public meetings only).
PENDING_ACCOUNT = "industry.pending@dicas.example"

WORKING_GROUPS = [
    # slug, English, Japanese, focus (en), focus (ja)
    ("missile-co-production", "Missile co-production", "ミサイル共同生産",
     "Co-production of air-defence missiles, such as the PAC-3 MSE built under licence in Japan, and later the AIM-120 AMRAAM.",
     "日本でライセンス生産されるPAC-3 MSEなど防空ミサイルの共同生産。今後はAIM-120 AMRAAMも対象とする。"),
    ("ship-repair", "Ship repair and maintenance", "艦船の補修・整備",
     "Co-sustainment of forward-deployed US Navy ships: short-term maintenance at private Japanese shipyards.",
     "前方展開する米海軍艦艇の共同維持整備：日本の民間造船所における短期整備。"),
    ("aircraft-co-sustainment", "Aircraft maintenance and repair", "航空機の整備",
     "Co-sustainment of US aircraft in Japan; identifying pilot cases.",
     "在日米軍航空機の共同維持整備。パイロットケースの特定。"),
    ("supply-chain-resilience", "Supply chain resilience", "サプライチェーン強靱化",
     "Resilient supply chains for the defence industries of both countries.",
     "両国の防衛産業のサプライチェーン強靱化。"),
]

# username (e-mail), full name, Japanese name, role, organisation acronym or name, language, zone, groups
ACCOUNTS = [
    ("secretariat@dicas.example", "DICAS Secretariat", "DICAS事務局", "secretariat", "ATLA", "ja", TOKYO, []),
    ("cochair.us@dicas.example", "Office of the USD(A&S)", "米国防次官室", "cochair", "OUSD(A&S)", "en", WASHINGTON, []),
    ("cochair.jp@dicas.example", "Office of the ATLA Commissioner", "防衛装備庁長官室", "cochair", "ATLA", "ja", TOKYO, []),
    ("official.us@dicas.example", "DCMA Japan liaison", "DCMA日本事務所 連絡官", "official", "DCMA Japan", "en", TOKYO, ["ship-repair", "aircraft-co-sustainment"]),
    ("official.jp@dicas.example", "MOD ship maintenance desk", "防衛省 艦船整備担当", "official", "MOD", "ja", TOKYO, ["ship-repair", "supply-chain-resilience", "missile-co-production"]),
    ("industry@dicas.example", "Seto Marine representative", "瀬戸マリン 担当者", "industry", "Seto Marine Engineering K.K.", "ja", TOKYO, []),
    ("industry.us@dicas.example", "Northstar representative", "ノーススター 担当者", "industry", "Northstar Missile Systems Inc.", "en", WASHINGTON, []),
    # An official of an observer country in the ship repair group: its meetings and official-use
    # papers, never its export-controlled ones.
    ("official.au@dicas.example", "Australian Defence liaison", "豪国防省 連絡官", "official", "Australian Department of Defence", "en", "Australia/Sydney", ["ship-repair"]),
    (PENDING_ACCOUNT, "Harborline representative", "ハーバーライン 担当者", "industry", "Harborline Logistics Pty Ltd", "en", "Australia/Sydney", []),
    ("admin@dicas.example", "Portal administrator", "ポータル管理者", "administrator", "ATLA", "en", "UTC", []),
]


def at(day: date, hour: int, minute: int, zone: str) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=zoneinfo.ZoneInfo(zone))


class Command(BaseCommand):
    help = "Loads the DICAS demonstration data (safe to run again)."

    @transaction.atomic
    def handle(self, *args, **options):
        countries = self.load_countries()
        organizations = self.load_organizations(countries)
        forum = self.load_forum(countries, organizations)
        groups = self.load_working_groups(forum)
        self.load_accounts(forum, organizations, groups)
        self.load_past_meetings(forum, groups, countries)
        self.load_upcoming_meetings(forum, groups, countries, today=timezone.localdate(timezone=zoneinfo.ZoneInfo(TOKYO)))
        self.load_papers(forum, groups)
        self.stdout.write(self.style.SUCCESS("Demo data loaded."))
        self.stdout.write(f"Demo accounts (password for all: {DEMO_PASSWORD}):")
        for email, _name, _name_ja, role, *_rest in ACCOUNTS:
            self.stdout.write(f"  {role:<14} {email}{'  (authenticator app)' if role in MFA_ROLES else ''}")
        self.stdout.write(f"  {PENDING_ACCOUNT} awaits the secretariat's approval of its affiliation "
                          "(public meetings only until then); official.au@dicas.example is from an observer country.")
        self.stdout.write(
            f"Officials, co-chairs, the secretariat and the administrator also need a code from an authenticator app: "
            f"add the secret {DEMO_TOTP_SECRET} (TOTP, 6 digits, 30 seconds) to one."
        )

    def load_countries(self) -> dict[str, Country]:
        return {
            code: Country.objects.update_or_create(code=code, defaults={"name_en": en, "name_ja": ja,
                                                                        "trigraph": trigraph})[0]
            for code, en, ja, trigraph in COUNTRIES
        }

    def load_organizations(self, countries) -> dict[str, Organization]:
        found = {}
        for name, name_ja, acronym, kind, country in ORGANIZATIONS:
            organization, _ = Organization.objects.update_or_create(
                name=name,
                defaults={"name_ja": name_ja, "acronym": acronym, "kind": kind, "country": countries[country]},
            )
            found[name] = organization
            if acronym:
                found[acronym] = organization
        for domain, organization in VERIFIED_DOMAINS:
            VerifiedDomain.objects.update_or_create(domain=domain, defaults={"organization": found[organization]})
        return found

    def load_forum(self, countries, organizations) -> Forum:
        forum, _ = Forum.objects.update_or_create(
            acronym="DICAS",
            defaults={
                "name": "Forum on Defense Industrial Cooperation, Acquisition, and Sustainment",
                "name_ja": "日米防衛産業協力・取得・維持整備定期協議",
                "description_en": (
                    "Announced at the April 2024 summit in Washington, DICAS restructures the earlier "
                    "US-Japan Systems and Technology Forum to deepen co-development, co-production and "
                    "co-sustainment. Its working groups report their progress to the Security "
                    "Consultative Committee (“2+2”)."
                ),
                "description_ja": (
                    "2024年4月のワシントンでの首脳会談で設置が発表された。従来の日米装備・技術定期協議を改編し、"
                    "共同開発・共同生産・共同維持整備を深化させる。作業部会の進捗は日米安全保障協議委員会"
                    "（「2+2」）に報告される。"
                ),
            },
        )
        for code, standing in [("US", "member"), ("JP", "member"), ("AU", "observer"), ("IN", "observer")]:
            ForumCountry.objects.update_or_create(forum=forum, country=countries[code], defaults={"standing": standing})
        CoChair.objects.update_or_create(
            forum=forum,
            country=countries["US"],
            defaults={
                "office_en": "Under Secretary of Defense for Acquisition and Sustainment",
                "office_ja": "米国防次官（取得・維持整備担当）",
                "organization": organizations["OUSD(A&S)"],
            },
        )
        CoChair.objects.update_or_create(
            forum=forum,
            country=countries["JP"],
            defaults={
                "office_en": "Commissioner, Acquisition, Technology and Logistics Agency",
                "office_ja": "防衛装備庁長官",
                "organization": organizations["ATLA"],
            },
        )
        return forum

    def load_working_groups(self, forum) -> dict[str, WorkingGroup]:
        groups = {}
        for position, (slug, name_en, name_ja, focus_en, focus_ja) in enumerate(WORKING_GROUPS, start=1):
            groups[slug], _ = WorkingGroup.objects.update_or_create(
                forum=forum,
                slug=slug,
                defaults={"name_en": name_en, "name_ja": name_ja, "focus_en": focus_en,
                          "focus_ja": focus_ja, "position": position},
            )
        return groups

    def load_accounts(self, forum, organizations, groups) -> None:
        User = get_user_model()
        for email, name, name_ja, role, organization, language, zone, memberships in ACCOUNTS:
            user, created = User.objects.get_or_create(username=email, defaults={"email": email})
            if created or not user.check_password(DEMO_PASSWORD):
                user.set_password(DEMO_PASSWORD)
            # The admin is for administrators; the secretariat works in the portal's pages.
            user.is_staff = role == "administrator"
            user.is_superuser = role == "administrator"
            user.save()
            EmailAddress.objects.update_or_create(
                user=user, email=email, defaults={"verified": True, "primary": True}
            )
            profile, _ = Profile.objects.update_or_create(
                user=user,
                defaults={"full_name": name, "full_name_ja": name_ja, "role": role,
                          "organization": organizations[organization], "preferred_language": language,
                          "time_zone": zone},
            )
            self.load_affiliation(profile, verified=email != PENDING_ACCOUNT)
            for slug in memberships:
                Membership.objects.get_or_create(working_group=groups[slug], person=user)
            if role in MFA_ROLES:
                Authenticator.objects.update_or_create(
                    user=user, type=Authenticator.Type.TOTP, defaults={"data": {"secret": encrypt(DEMO_TOTP_SECRET)}}
                )
            if role == "cochair":
                CoChair.objects.filter(forum=forum, country=organizations[organization].country).update(holder=user)

    def load_affiliation(self, profile: Profile, *, verified: bool) -> None:
        """The demo accounts' organisations, verified as the secretariat's invitations would
        make them; the pending account's awaiting approval on /affiliations/."""
        current = Affiliation.objects.filter(person=profile.user, status__in=Affiliation.CURRENT_STATUSES).first()
        wanted = Affiliation.Status.VERIFIED if verified else Affiliation.Status.PENDING
        if current is None or current.organization_id != profile.organization_id or current.status != wanted:
            if current is not None:
                current.status, current.ended_at = Affiliation.Status.ENDED, timezone.now()
                current.save(update_fields=["status", "ended_at"])
            Affiliation.objects.create(
                person=profile.user, organization=profile.organization, status=wanted,
                method=Affiliation.Method.INVITATION if verified else "", decided_at=timezone.now() if verified else None,
            )
        profile.verified_organization = profile.organization if verified else None
        profile.affiliation_review_on = default_review_on() if verified else None
        profile.role_review_on = default_review_on() if profile.role in REVIEWED_ROLES else None
        profile.save(update_fields=["verified_organization", "affiliation_review_on", "role_review_on"])

    def load_papers(self, forum, groups) -> None:
        """A paper of each marking for each working group's next meeting (one export-controlled
        paper releasable to the United States and Japan only), so that clearance shows."""
        for group in groups.values():
            meeting = Meeting.objects.filter(forum=forum, working_group=group, kind=Meeting.Kind.WORKING_GROUP,
                                             status__in=[Meeting.Status.SCHEDULED, Meeting.Status.POSTPONED]).first()
            if meeting is None:
                continue
            for marking, title, releasable_to in (
                (Document.Marking.PUBLIC, f"{group.name_en}: public summary", []),
                (Document.Marking.OFFICIAL_USE_ONLY, f"{group.name_en}: progress report", []),
                (Document.Marking.EXPORT_CONTROLLED, f"{group.name_en}: technical data package", ["JP", "US"]),
            ):
                if Document.objects.filter(meeting=meeting, title=title).exists():
                    continue
                document = Document(forum=forum, meeting=meeting, title=title, marking=marking,
                                    releasable_to=releasable_to, language="en")
                body = f"%PDF-1.4\n% DICAS demo paper: {title} ({marking})\n".encode()
                document.file.save(f"{group.slug}-{marking}.pdf", ContentFile(body), save=True)

    def meeting(self, forum, title_en, *, agenda=(), **fields) -> Meeting:
        meeting, _ = Meeting.objects.update_or_create(forum=forum, title_en=title_en, defaults=fields)
        meeting.full_clean()
        for position, (title, title_ja, presenter, minutes) in enumerate(agenda, start=1):
            AgendaItem.objects.update_or_create(
                meeting=meeting,
                position=position,
                defaults={"title_en": title, "title_ja": title_ja, "presenter": presenter, "duration_minutes": minutes},
            )
        meeting.agenda_items.filter(position__gt=len(agenda)).delete()
        # Readers see only published agendas; a second run finds nothing new to publish.
        seed_published_agenda(meeting=meeting)
        return meeting

    def load_past_meetings(self, forum, groups, countries) -> None:
        jp, us = countries["JP"], countries["US"]
        self.meeting(
            forum, "DICAS opening and preparatory meeting of officials",
            title_ja="DICAS 開会・政府間準備会合", kind=Meeting.Kind.PREPARATORY,
            starts_at=at(date(2024, 6, 9), 10, 0, TOKYO), ends_at=at(date(2024, 6, 9), 17, 0, TOKYO),
            time_zone=TOKYO, venue_en="Ministry of Defense, Ichigaya, Tokyo", venue_ja="防衛省（東京・市ヶ谷）",
            venue_country=jp, status=Meeting.Status.HELD, visibility=Meeting.Visibility.PARTICIPANTS,
            agenda=[
                ("Opening remarks by the co-chairs", "共同議長による開会挨拶", "Co-chairs", 30),
                ("Terms of Reference and working-group structure", "付託事項と作業部会の構成", "Secretariat", 90),
                ("Priority areas: missiles, ships, aircraft, supply chains", "優先分野：ミサイル・艦船・航空機・サプライチェーン", "OUSD(A&S) and ATLA", 120),
                ("Preparation of the industry roundtable", "産業界ラウンドテーブルの準備", "Secretariat", 60),
            ],
        )
        self.meeting(
            forum, "US-Japan defence industry roundtable",
            title_ja="日米防衛産業ラウンドテーブル", kind=Meeting.Kind.ROUNDTABLE,
            starts_at=at(date(2024, 6, 10), 9, 30, TOKYO), ends_at=at(date(2024, 6, 10), 12, 30, TOKYO),
            time_zone=TOKYO, venue_en="Tokyo", venue_ja="東京", venue_country=jp,
            status=Meeting.Status.HELD, visibility=Meeting.Visibility.PUBLIC,
            capacity=60, seats_per_organization=2,
            agenda=[
                ("Welcome and aims of DICAS", "歓迎の挨拶とDICASの目的", "Co-chairs", 20),
                ("Industry views on co-production capacity", "共同生産能力に関する産業界の見解", "Industry representatives", 100),
                ("Co-sustainment at Japanese shipyards", "日本の造船所における共同維持整備", "Industry representatives", 60),
            ],
        )
        first_wg = self.meeting(
            forum, "First working-group meeting: ship repair and maintenance",
            title_ja="第1回作業部会：艦船の補修・整備", kind=Meeting.Kind.WORKING_GROUP,
            working_group=groups["ship-repair"],
            starts_at=at(date(2024, 6, 11), 10, 0, TOKYO), ends_at=at(date(2024, 6, 11), 16, 0, TOKYO),
            time_zone=TOKYO, venue_en="Tokyo", venue_ja="東京", venue_country=jp,
            status=Meeting.Status.HELD, visibility=Meeting.Visibility.GROUP_MEMBERS,
            agenda=[
                ("Short-term maintenance of US Navy ships at private Japanese shipyards", "日本の民間造船所における米海軍艦艇の短期整備", "US Navy 7th Fleet", 90),
                ("Shipyard capacity and certification", "造船所の能力と認証", "ATLA", 90),
                ("Ship repair council: next steps", "艦船補修協議会：今後の進め方", "Secretariat", 60),
            ],
        )
        # Created once: a second run must not add a version to the minutes' history.
        Minutes.objects.get_or_create(
            meeting=first_wg, version=1,
            defaults={"status": Minutes.Status.PUBLISHED, "body": (
                "## Summary\n\nThe working group agreed to identify pilot cases for the short-term "
                "maintenance of US Navy ships at private Japanese shipyards.\n\n## Actions\n\n"
                "- The secretariat circulates the list of candidate shipyards.\n"
                "- The US Navy 7th Fleet shares its maintenance schedule.\n"
            )},
        )
        self.meeting(
            forum, "Working-group meeting: supply chain resilience (September 2024)",
            title_ja="作業部会：サプライチェーン強靱化（2024年9月）", kind=Meeting.Kind.WORKING_GROUP,
            working_group=groups["supply-chain-resilience"],
            starts_at=at(date(2024, 9, 5), 9, 0, WASHINGTON), ends_at=at(date(2024, 9, 5), 12, 0, WASHINGTON),
            time_zone=WASHINGTON, venue_en="Washington, D.C.", venue_ja="ワシントンD.C.", venue_country=us,
            status=Meeting.Status.HELD, visibility=Meeting.Visibility.GROUP_MEMBERS,
        )
        self.meeting(
            forum, "Second DICAS meeting", title_ja="第2回DICAS会合", kind=Meeting.Kind.PLENARY,
            starts_at=at(date(2024, 10, 16), 9, 0, HONOLULU), ends_at=at(date(2024, 10, 16), 16, 0, HONOLULU),
            time_zone=HONOLULU, venue_en="Honolulu, Hawaii", venue_ja="ハワイ・ホノルル", venue_country=us,
            status=Meeting.Status.HELD, visibility=Meeting.Visibility.PUBLIC,
            agenda=[
                ("Review of the four working groups", "4つの作業部会の進捗確認", "Working-group leads", 180),
                ("Planning the working-group meetings before the end of 2024", "2024年末までの作業部会の計画", "Secretariat", 60),
            ],
        )
        self.meeting(
            forum, "Japan Ministry of Defense Industry Day", title_ja="防衛省インダストリー・デイ",
            kind=Meeting.Kind.INDUSTRY_DAY,
            starts_at=at(date(2024, 10, 24), 13, 0, TOKYO), ends_at=at(date(2024, 10, 24), 17, 30, TOKYO),
            time_zone=TOKYO, venue_en="Tokyo", venue_ja="東京", venue_country=jp,
            status=Meeting.Status.HELD, visibility=Meeting.Visibility.PUBLIC, capacity=150,
            agenda=[
                ("Supply chain resilience", "サプライチェーン強靱化", "ATLA", 60),
                ("Co-sustainment", "共同維持整備", "DCMA Japan and the 374th Contract Squadron", 60),
                ("Missile co-production", "ミサイル共同生産", "ATLA", 60),
            ],
        )

    def load_upcoming_meetings(self, forum, groups, countries, *, today: date) -> None:
        jp, us = countries["JP"], countries["US"]
        roundtable_day = today + timedelta(days=30)
        self.meeting(
            forum, "Industry roundtable: co-sustainment at Japanese shipyards",
            title_ja="産業界ラウンドテーブル：日本の造船所における共同維持整備", kind=Meeting.Kind.ROUNDTABLE,
            working_group=groups["ship-repair"],
            starts_at=at(roundtable_day, 14, 0, TOKYO), ends_at=at(roundtable_day, 17, 0, TOKYO),
            time_zone=TOKYO, venue_en="Yokosuka", venue_ja="横須賀", venue_country=jp,
            status=Meeting.Status.SCHEDULED, visibility=Meeting.Visibility.PUBLIC,
            registration_opens_at=at(today - timedelta(days=7), 9, 0, TOKYO),
            registration_closes_at=at(roundtable_day - timedelta(days=2), 17, 0, TOKYO),
            capacity=25, seats_per_organization=2,
            agenda=[
                ("Welcome", "歓迎の挨拶", "Secretariat", 15),
                ("Maintenance pilot cases so far", "整備パイロットケースの現状", "US Navy 7th Fleet", 45),
                ("Open discussion with shipyards", "造船所との意見交換", "Industry representatives", 90),
                ("Closing", "閉会", "Co-chairs", 30),
            ],
        )
        for offset, slug, zone, venue, venue_ja, country in [
            (45, "missile-co-production", WASHINGTON, "Arlington, Virginia", "バージニア州アーリントン", us),
            (75, "ship-repair", TOKYO, "Tokyo", "東京", jp),
            (105, "supply-chain-resilience", TOKYO, "Tokyo", "東京", jp),
            (135, "aircraft-co-sustainment", TOKYO, "Misawa", "三沢", jp),
        ]:
            group = groups[slug]
            day = today + timedelta(days=offset)
            self.meeting(
                forum, f"Working-group meeting: {group.name_en.lower()}",
                title_ja=f"作業部会：{group.name_ja}", kind=Meeting.Kind.WORKING_GROUP, working_group=group,
                starts_at=at(day, 10, 0, zone), ends_at=at(day, 16, 0, zone), time_zone=zone,
                venue_en=venue, venue_ja=venue_ja, venue_country=country,
                status=Meeting.Status.POSTPONED if slug == "aircraft-co-sustainment" else Meeting.Status.SCHEDULED,
                visibility=Meeting.Visibility.GROUP_MEMBERS,
                agenda=[
                    ("Review of action items", "アクションアイテムの確認", "Secretariat", 30),
                    ("Progress report", "進捗報告", "Working-group leads", 120),
                    ("Report to the Security Consultative Committee", "日米安全保障協議委員会への報告", "Secretariat", 60),
                ],
            )
        plenary_day = today + timedelta(days=180)
        self.meeting(
            forum, "DICAS preparatory meeting (Washington)", title_ja="DICAS準備会合（ワシントン）",
            kind=Meeting.Kind.PREPARATORY,
            starts_at=at(plenary_day - timedelta(days=1), 9, 0, WASHINGTON),
            ends_at=at(plenary_day - timedelta(days=1), 17, 0, WASHINGTON),
            time_zone=WASHINGTON, venue_en="The Pentagon, Arlington", venue_ja="国防総省（アーリントン）",
            venue_country=us, status=Meeting.Status.SCHEDULED, visibility=Meeting.Visibility.PARTICIPANTS,
        )
        self.meeting(
            forum, "DICAS plenary meeting (Washington)", title_ja="DICAS本会合（ワシントン）",
            kind=Meeting.Kind.PLENARY,
            starts_at=at(plenary_day, 9, 0, WASHINGTON), ends_at=at(plenary_day, 16, 0, WASHINGTON),
            time_zone=WASHINGTON, venue_en="The Pentagon, Arlington", venue_ja="国防総省（アーリントン）",
            venue_country=us, status=Meeting.Status.SCHEDULED, visibility=Meeting.Visibility.PUBLIC,
            agenda=[
                ("Opening by the co-chairs", "共同議長による開会", "Co-chairs", 30),
                ("Reports of the four working groups", "4作業部会の報告", "Working-group leads", 180),
                ("Partners: maritime logistics with Australia and India", "パートナー国：豪州・インドとの海上ロジスティクス", "Secretariat", 90),
            ],
        )
        industry_day = today + timedelta(days=240)
        self.meeting(
            forum, "Japan Ministry of Defense Industry Day (next edition)",
            title_ja="防衛省インダストリー・デイ（次回）", kind=Meeting.Kind.INDUSTRY_DAY,
            starts_at=at(industry_day, 13, 0, TOKYO), ends_at=at(industry_day, 17, 30, TOKYO),
            time_zone=TOKYO, venue_en="Tokyo", venue_ja="東京", venue_country=jp,
            status=Meeting.Status.SCHEDULED, visibility=Meeting.Visibility.PUBLIC,
            registration_opens_at=at(today, 9, 0, TOKYO),
            registration_closes_at=at(industry_day - timedelta(days=7), 17, 0, TOKYO),
            capacity=150, seats_per_organization=3, vetting_required=True,
        )

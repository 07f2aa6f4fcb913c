"""The meetings issue's acceptance scenario, in a real browser, with the real worker and an
SMTP server: the secretariat (signed in with its authenticator code, reading Japanese)
creates a Tokyo meeting at 10:00 JST from /meetings/new/, sees it is 21:00 EDT the day
before in Washington, publishes it and opens registration; a representative registers;
the secretariat moves it to 11:00 JST, and the representative's mailbox holds an updated
invitation at 02:00 UTC with the same UID and a higher SEQUENCE; the secretariat cancels
it, and a METHOD:CANCEL arrives.

Each invitation is read by every calendar client of tests/calendar_clients.py (icalendar,
vobject and ical.js in Node), and they must agree."""

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone as dt_timezone

import pytest
from playwright.sync_api import expect

from forums.models import Meeting
from tests.calendar_clients import CLIENTS, Reader
from tests.notifications.processes import RedisServer, WorkerProcess, tasks_sent_to, wait_for
from tests.notifications.sink import SmtpSink, free_port

from .test_browse import sign_in, switch_time_zone

pytestmark = [pytest.mark.e2e, pytest.mark.worker, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

UTC = dt_timezone.utc
SECRETARIAT = "secretariat@dicas.example"
REPRESENTATIVE = "industry@dicas.example"
# Summer 2027: Tokyo is UTC+9 all year, New York on daylight time (UTC-4).
DAY = "2027-07-15"


@dataclass(frozen=True)
class CalendarEvent:
    method: str
    uid: str
    sequence: int
    starts_at: datetime  # in UTC
    status: str


def parser_of(read: Reader) -> Callable[[bytes], CalendarEvent]:
    """One client of tests/calendar_clients.py (icalendar, vobject, ical.js in Node), reading
    an invitation that holds one event."""
    def parse(data: bytes) -> CalendarEvent:
        [event] = read(data.decode())
        return CalendarEvent(method=event["method"] or "", uid=event["uid"], sequence=event["sequence"],
                             starts_at=event["dtstart"].astimezone(UTC), status=event["status"] or "")
    return parse


PARSERS = {name: parser_of(read) for name, read in CLIENTS.items()}


def read_everywhere(data: bytes) -> CalendarEvent:
    """The event as every parser reads it; they must all agree."""
    readings = {name: parse(data) for name, parse in PARSERS.items()}
    assert len(set(readings.values())) == 1, readings
    return next(iter(readings.values()))


def invitations_to(sink: SmtpSink, address: str) -> list[tuple[str, bytes]]:
    """(subject, calendar bytes) of each message with an invitation sent to `address`, in order."""
    found = []
    for received in list(sink.messages):
        if address not in received.recipients:
            continue
        message = received.parsed()
        for part in message.walk():
            if part.get_content_type() == "text/calendar":
                found.append((str(message["Subject"]), part.get_payload(decode=True)))
    return found


def wait_for_invitation(sink: SmtpSink, address: str, count: int) -> tuple[str, bytes]:
    assert wait_for(lambda: len(invitations_to(sink, address)) >= count, timeout=60), (
        f"expected {count} invitations to {address}, got: {[s for s, _ in invitations_to(sink, address)]}")
    return invitations_to(sink, address)[count - 1]


@pytest.fixture
def outbox_worker(test_database_url, tmp_path, settings):
    """A real worker and a Redis of its own, sending to an SMTP sink; tasks the live server
    queues go to that Redis. Meeting changes are held two seconds (the debounce) so that
    the worker's delayed expansion is what sends them."""
    settings.NOTIFICATIONS_MEETING_CHANGE_HOLD_SECONDS = 2
    redis_server = RedisServer(free_port()).start()
    with SmtpSink() as sink, tasks_sent_to(redis_server.url):
        worker = WorkerProcess(
            environment={"DATABASE_URL": test_database_url, "CELERY_BROKER_URL": redis_server.url,
                         "EMAIL_URL": sink.url, "NOTIFICATIONS_SWEEP_AFTER_SECONDS": "0"},
            log=tmp_path / "worker",
        ).start()
        try:
            yield sink
        finally:
            worker.stop()
            redis_server.stop()


def test_the_secretariat_creates_moves_and_cancels_a_tokyo_meeting_and_calendars_follow(
    browser, page, live_server, demo_data, outbox_worker, screenshot, icaljs
):
    sink = outbox_worker
    base = live_server.url
    sign_in(page, base, SECRETARIAT)  # with the authenticator's code
    expect(page.locator("html")).to_have_attribute("lang", "ja")
    switch_time_zone(page, "America/New_York")

    page.goto(f"{base}/meetings/new/")
    page.locator("select[name=kind]").select_option("roundtable")
    page.locator("input[name=title_en]").fill("Industry roundtable on co-sustainment")
    page.locator("input[name=title_ja]").fill("共同維持整備に関する産業界ラウンドテーブル")
    page.locator("select[name=visibility]").select_option("participants")
    page.locator("#id_time_zone").select_option("Asia/Tokyo")
    expect(page.locator("#id_time_zone option:checked")).to_have_text("東京 (Asia/Tokyo)")
    page.locator("input[name=starts_at_0]").fill(DAY)
    page.locator("input[name=starts_at_1]").fill("10:00")
    page.locator("input[name=ends_at_0]").fill(DAY)
    page.locator("input[name=ends_at_1]").fill("12:00")
    page.locator("input[name=venue_en]").fill("Ministry of Defense, Ichigaya")
    page.locator("input[name=venue_ja]").fill("防衛省市ヶ谷庁舎")
    screenshot(page, "meetings-e2e-1-new-ja")
    page.locator("button[name=preview]").click()

    preview = page.locator(".meeting-preview")
    expect(preview).to_contain_text("10:00 JST")
    expect(preview).to_contain_text("21:00 EDT")
    expect(preview).to_contain_text("前日")  # the day before, in Washington
    screenshot(page, "meetings-e2e-2-confirm-ja")
    page.locator("button[name=confirm]").click()

    expect(page).to_have_url(re.compile(r"/meetings/\d+/$"))
    meeting_id = int(re.search(r"/meetings/(\d+)/$", page.url).group(1))
    meeting = Meeting.objects.get(pk=meeting_id)
    assert meeting.starts_at == datetime(2027, 7, 15, 1, 0, tzinfo=UTC)
    page.locator(f"form[action='/meetings/{meeting_id}/publish/'] button").click()
    page.locator(f"form[action='/meetings/{meeting_id}/open-registration/'] button").click()
    expect(page.locator(".usa-alert--success")).to_be_visible()
    assert Meeting.objects.get(pk=meeting_id).status == Meeting.Status.SCHEDULED

    # A representative registers, in a browser of their own.
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    representative = context.new_page()
    sign_in(representative, base, REPRESENTATIVE, second_factor=False)
    representative.goto(f"{base}/meetings/{meeting_id}/")
    representative.locator("input[name=consent]").check()
    representative.locator("form[action$='/register/'] button[type=submit]").click()
    expect(representative.locator(".registration-status--confirmed")).to_be_visible()
    context.close()
    _, confirmation_data = wait_for_invitation(sink, REPRESENTATIVE, 1)
    confirmation = read_everywhere(confirmation_data)
    assert confirmation.method == "REQUEST"
    assert confirmation.starts_at == datetime(2027, 7, 15, 1, 0, tzinfo=UTC)

    # The secretariat moves it to 11:00 JST.
    page.goto(f"{base}/meetings/{meeting_id}/edit/")
    page.locator("input[name=starts_at_0]").fill(DAY)
    page.locator("input[name=starts_at_1]").fill("11:00")
    page.locator("input[name=ends_at_0]").fill(DAY)
    page.locator("input[name=ends_at_1]").fill("13:00")
    page.locator("button[name=preview]").click()
    expect(page.locator(".meeting-preview")).to_contain_text("22:00 EDT")
    page.locator("button[name=confirm]").click()
    expect(page.locator(".usa-alert--success")).to_be_visible()

    _, update_data = wait_for_invitation(sink, REPRESENTATIVE, 2)
    update = read_everywhere(update_data)
    assert update.method == "REQUEST"
    assert update.starts_at == datetime(2027, 7, 15, 2, 0, tzinfo=UTC)
    assert update.uid == confirmation.uid
    assert update.sequence > confirmation.sequence

    # And cancels it, with the reason.
    page.goto(f"{base}/meetings/{meeting_id}/")
    page.locator(".meeting-manage__cancel summary").click()
    page.locator("textarea[name=reason]").fill("代表団の渡航が困難になったため。")
    page.locator(f"form[action='/meetings/{meeting_id}/cancel/'] button").click()
    expect(page.locator(".meeting-cancellation-reason")).to_contain_text("代表団の渡航が困難になったため。")
    screenshot(page, "meetings-e2e-3-cancelled-ja")

    _, cancel_data = wait_for_invitation(sink, REPRESENTATIVE, 3)
    cancel = read_everywhere(cancel_data)
    assert cancel.method == "CANCEL"
    assert cancel.uid == confirmation.uid
    assert cancel.sequence > update.sequence
    assert cancel.status == "CANCELLED"

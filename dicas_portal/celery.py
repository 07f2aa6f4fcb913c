import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dicas_portal.settings")

app = Celery("dicas_portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Each worker process's own heartbeat, read by /healthz and the outbox sweep.
app.steps["worker"].add("notifications.heartbeat:Heartbeat")

# Every periodic task of the portal, declared in one place.
app.conf.beat_schedule = {
    "record-worker-heartbeat": {
        "task": "notifications.record_worker_heartbeat",
        "schedule": 60.0,
    },
    # Re-queues notices a dead worker or an unreachable broker left behind (notifications/services.py).
    # Every 30 s: a dead worker's batch comes back within a minute of its last heartbeat.
    "sweep-notification-outbox": {
        "task": "notifications.sweep_outbox",
        "schedule": 30.0,
    },
    "record-meeting-reminders": {
        "task": "notifications.record_meeting_reminders",
        "schedule": 300.0,
    },
    # Each person's digest at 07:00 their time (notifications/digests.py): on the quarter
    # hours of the clock, not of beat's start, as some zones are 30 or 45 minutes off.
    # Lapsed affiliations and roles stop counting; the secretariat hears of reviews due within
    # 30 days (participants/affiliations.py). Hourly: each run is idempotent.
    "review-affiliations-and-roles": {
        "task": "participants.review_affiliations_and_roles",
        "schedule": crontab(minute=5),
    },
    "record-daily-digests": {
        "task": "notifications.record_digests",
        "schedule": crontab(minute="*/15"),
    },
}

"""Thin Celery tasks of the participants app (scheduled in dicas_portal/celery.py)."""

from celery import shared_task

from dicas_portal.single_run import one_run_at_a_time

from . import affiliations


@shared_task(name="participants.review_affiliations_and_roles")
@one_run_at_a_time("participants.review_affiliations_and_roles", skipped=0)
def review_affiliations_and_roles() -> int:
    """Ends lapsed affiliations and roles, then records the review notices due; returns how many."""
    affiliations.end_lapsed()
    return len(affiliations.record_review_notices())

"""Thin Celery tasks of the participants app (scheduled in dicas_portal/celery.py)."""

from celery import shared_task

from . import affiliations


@shared_task(name="participants.review_affiliations_and_roles")
def review_affiliations_and_roles() -> int:
    """Ends lapsed affiliations and roles, then records the review notices due; returns how many."""
    affiliations.end_lapsed()
    return len(affiliations.record_review_notices())

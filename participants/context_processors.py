from .permissions import account_kind, is_secretariat
from .timezones import COMMON_TIME_ZONES


def viewer(request) -> dict:
    user = getattr(request, "user", None)
    zone = getattr(request, "viewer_time_zone", None)
    # Every page offers the common zones (and the viewer's own); the full list of ~600
    # has a page of its own, so that no page pays for rendering it.
    choices = COMMON_TIME_ZONES if zone in COMMON_TIME_ZONES or zone is None else [zone, *COMMON_TIME_ZONES]
    return {
        "viewer_time_zone": zone,
        "viewer_is_secretariat": bool(user and is_secretariat(user)),
        # The header's menus (base.html), and the key its frame is kept under.
        "viewer_account_kind": account_kind(user),
        "time_zone_choices": choices,
    }

from .permissions import is_secretariat
from .timezones import COMMON_TIME_ZONES, available_time_zones


def viewer(request) -> dict:
    user = getattr(request, "user", None)
    return {
        "viewer_time_zone": getattr(request, "viewer_time_zone", None),
        "viewer_is_secretariat": bool(user and is_secretariat(user)),
        "common_time_zones": COMMON_TIME_ZONES,
        "other_time_zones": sorted(available_time_zones() - set(COMMON_TIME_ZONES)),
    }

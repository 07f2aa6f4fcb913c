from .permissions import is_secretariat


def viewer(request) -> dict:
    user = getattr(request, "user", None)
    return {
        "viewer_time_zone": getattr(request, "viewer_time_zone", None),
        "viewer_is_secretariat": bool(user and is_secretariat(user)),
    }

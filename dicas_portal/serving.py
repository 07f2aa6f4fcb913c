"""Where `manage.py runserver` serves the portal, so that the links in e-mails lead there.

The e-mails are written without a request (by the worker, or by the web process after the
commit), so their links start at settings.PORTAL_BASE_URL. In production that is set; on a
developer's machine `make run PORT=8123` (or `manage.py runserver 0.0.0.0:8123`) must not
send people to :8000. manage.py reads the address runserver was given and passes it on in
PORTAL_SERVED_URL, which settings.py uses when PORTAL_BASE_URL is not set (environment or .env).
"""

import re

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = "8000"
# runserver's options that take a value as the next word (Django's BaseCommand's own).
OPTIONS_WITH_A_VALUE = frozenset({"--settings", "--pythonpath", "--verbosity", "-v"})
ADDRPORT = re.compile(r"^(?:(?P<host>\[[0-9a-fA-F:.]+\]|[^:\[\]]+):)?(?P<port>\d+)$")
# Listening on every interface: the machine itself is where a link from a local mail leads.
ANY_ADDRESS = {"0": DEFAULT_HOST, "0.0.0.0": DEFAULT_HOST, "[::]": "[::1]"}


def runserver_base_url(argv: list[str]) -> str | None:
    """http://host:port/ for `manage.py runserver [options] [addrport]`, None for any other
    command or an address runserver itself would refuse."""
    if len(argv) < 2 or argv[1] != "runserver":
        return None
    words = iter(argv[2:])
    addrport = ""
    ipv6 = False
    for word in words:
        if word in OPTIONS_WITH_A_VALUE:
            next(words, None)
        elif word in ("-6", "--ipv6"):
            ipv6 = True
        elif not word.startswith("-") and not addrport:
            addrport = word
    if not addrport:
        host, port = ("[::1]" if ipv6 else DEFAULT_HOST), DEFAULT_PORT
    else:
        match = ADDRPORT.match(addrport)
        if match is None:
            return None
        host = match["host"] or ("[::1]" if ipv6 else DEFAULT_HOST)
        port = match["port"]
        if ":" in host and not host.startswith("["):
            host = f"[{host}]"
    return f"http://{ANY_ADDRESS.get(host, host)}:{port}/"

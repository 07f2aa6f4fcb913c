#!/usr/bin/env python
import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dicas_portal.settings")
    from dicas_portal.serving import runserver_base_url

    # The e-mails sent while serving link to the address served (dicas_portal/serving.py).
    served_url = runserver_base_url(sys.argv)
    if served_url:
        os.environ["PORTAL_SERVED_URL"] = served_url
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()

"""Static files in production: fingerprinted, compressed, and cached by browsers for good."""

import os
import subprocess
import sys
from pathlib import Path

from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.management import call_command
from django.http import HttpResponse
from django.test import RequestFactory, override_settings
from whitenoise.middleware import WhiteNoiseMiddleware

from tests.production import production_environment

PROJECT = Path(__file__).resolve().parents[2]
ONE_YEAR = 365 * 24 * 60 * 60


def production_setting(expression: str) -> str:
    environment = production_environment(DJANGO_SETTINGS_MODULE="dicas_portal.settings")
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); from django.conf import settings; print({expression})"],
        cwd=PROJECT, env=environment, capture_output=True, text=True, timeout=120, check=True,
    )
    return result.stdout.strip()


def test_production_serves_fingerprinted_compressed_files_with_far_future_headers(tmp_path):
    backend = production_setting('settings.STORAGES["staticfiles"]["BACKEND"]')
    assert backend == "whitenoise.storage.CompressedManifestStaticFilesStorage"

    with override_settings(DEBUG=False, STATIC_ROOT=tmp_path,
                           STORAGES={"default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
                                     "staticfiles": {"BACKEND": backend}}):
        call_command("collectstatic", "--noinput", verbosity=0)
        url = staticfiles_storage.url("css/portal.css")
        assert url != "/static/css/portal.css", "the name carries the file's fingerprint"
        assert (tmp_path / url.removeprefix("/static/")).with_suffix(".css.gz").exists()
        whitenoise = WhiteNoiseMiddleware(lambda request: HttpResponse("not a static file"))

        fingerprinted = whitenoise(RequestFactory().get(url, HTTP_ACCEPT_ENCODING="gzip, br"))
        plain = whitenoise(RequestFactory().get("/static/css/portal.css"))

    assert fingerprinted.status_code == 200
    cache_control = fingerprinted["Cache-Control"]
    assert "immutable" in cache_control and "public" in cache_control
    assert int(cache_control.split("max-age=")[1].split(",")[0]) >= ONE_YEAR
    assert fingerprinted["Content-Encoding"] in {"br", "gzip"}
    assert "Accept-Encoding" in fingerprinted["Vary"]
    # The unfingerprinted name may change content at the next release: browsers check it again soon.
    assert plain.status_code == 200 and "immutable" not in plain["Cache-Control"]

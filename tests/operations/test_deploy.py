"""deploy/: the systemd units pass `systemd-analyze verify`, the nginx site passes `nginx -t`
(Debian's nginx, with a throwaway certificate), and the production settings pass
`manage.py check --deploy`."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from .tools import program

PROJECT = Path(__file__).resolve().parents[2]
DEPLOY = PROJECT / "deploy"
INSTALL_DIR = "/srv/dicas-portal"
UNITS = ("dicas-web.service", "dicas-worker.service", "dicas-beat.service")


def test_the_systemd_units_pass_systemd_analyze_verify(tmp_path):
    analyze = program("systemd-analyze", "systemd")
    # The units name the installed portal's programs; verify checks that they are there.
    bin_dir = tmp_path / "app" / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    for name in ("gunicorn", "celery", "python"):
        (bin_dir / name).write_text("#!/bin/sh\n")
        (bin_dir / name).chmod(0o755)
    units = []
    for name in UNITS:
        text = (DEPLOY / name).read_text()
        assert INSTALL_DIR in text
        (tmp_path / name).write_text(text.replace(INSTALL_DIR, str(tmp_path / "app")))
        units.append(str(tmp_path / name))
    checked = subprocess.run([analyze, "verify", *units], capture_output=True, text=True)
    # verify exits 0 on an unknown directive, only warning: any word from it is a failure.
    assert checked.returncode == 0 and not checked.stderr.strip() and not checked.stdout.strip(), (
        checked.stdout + checked.stderr)


def test_the_web_unit_runs_the_preflight_before_it_starts():
    unit = (DEPLOY / "dicas-web.service").read_text()
    pre = re.search(r"^ExecStartPre=(.+)$", unit, re.MULTILINE)
    assert pre and pre.group(1).endswith("manage.py preflight")
    assert unit.index("ExecStartPre=") < unit.index("ExecStart=/")


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    openssl = program("openssl", "openssl")
    certificate, key = directory / "fullchain.pem", directory / "privkey.pem"
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=dicas-portal.example", "-keyout", str(key), "-out", str(certificate)],
                   check=True, capture_output=True)
    return certificate, key


def test_the_nginx_site_passes_nginx_t(tmp_path):
    nginx = program("nginx", "nginx")
    certificate, key = self_signed_certificate(tmp_path)
    site = (DEPLOY / "nginx-dicas-portal.conf").read_text()
    assert "/etc/ssl/dicas-portal/fullchain.pem" in site and "/etc/ssl/dicas-portal/privkey.pem" in site
    site = (site.replace("/etc/ssl/dicas-portal/fullchain.pem", str(certificate))
                .replace("/etc/ssl/dicas-portal/privkey.pem", str(key)))
    (tmp_path / "site.conf").write_text(site)
    # What Debian's /etc/nginx/nginx.conf gives a site, with every file in the test's folder.
    (tmp_path / "nginx.conf").write_text(f"""
pid {tmp_path}/nginx.pid;
error_log {tmp_path}/error.log;
events {{ worker_connections 64; }}
http {{
    include /etc/nginx/mime.types;
    access_log {tmp_path}/access.log;
    client_body_temp_path {tmp_path}/body;
    proxy_temp_path {tmp_path}/proxy;
    fastcgi_temp_path {tmp_path}/fastcgi;
    uwsgi_temp_path {tmp_path}/uwsgi;
    scgi_temp_path {tmp_path}/scgi;
    include {tmp_path}/site.conf;
}}
""")
    checked = subprocess.run([nginx, "-t", "-p", str(tmp_path), "-e", str(tmp_path / "error.log"),
                              "-c", str(tmp_path / "nginx.conf")], capture_output=True, text=True)
    output = checked.stdout + checked.stderr
    assert checked.returncode == 0, output
    assert "test is successful" in output
    assert "[warn]" not in output and "[emerg]" not in output, output


def test_the_nginx_site_passes_what_the_portal_needs():
    site = (DEPLOY / "nginx-dicas-portal.conf").read_text()
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in site
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in site
    assert "proxy_set_header X-Request-ID $request_id;" in site
    assert re.search(r"listen 443 ssl", site) and "return 301 https://" in site
    assert re.search(r"location /static/ \{\s*alias /srv/dicas-portal/staticfiles/;", site)
    upload = re.search(r"client_max_body_size (\d+)m;", site)
    from django.conf import settings
    assert upload and int(upload.group(1)) * 1024 * 1024 > settings.PAPERS_MAX_UPLOAD_BYTES


def test_check_deploy_is_clean_with_production_settings():
    from tests.production import production_environment

    # Every value production checks at start-up is a safe one (tests/production.py).
    environment = production_environment(
        CSRF_TRUSTED_ORIGINS="https://dicas-portal.example", TRUSTED_PROXIES="127.0.0.1",
        CACHE_URL="redis://127.0.0.1:6379/14",
    )
    checked = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "DEBUG"],
                             cwd=PROJECT, env=environment, capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "System check identified no issues" in checked.stdout

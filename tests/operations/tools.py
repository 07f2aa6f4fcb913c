"""The Debian programs the operations tests run (make system-packages installs them):
missing, a test skips with the reason; in CI it fails."""

import shutil
import socket

import pytest

from tests.conftest import IN_CI


def program(name: str, package: str) -> str:
    path = shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")
    if path is None:
        reason = f"needs {name} (Debian's {package}: make system-packages)"
        if IN_CI:
            pytest.fail(f"CI=true but {reason}", pytrace=False)
        pytest.skip(reason)
    return path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]

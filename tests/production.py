"""Environment of a production portal that passes every start-up check, for tests that
start one in a subprocess and vary a single variable."""

import os
import secrets

# Variables a test's own environment must not leak into the production portal it starts.
PORTAL_VARIABLES = {
    "SECRET_KEY", "ALLOWED_HOSTS", "DJANGO_DEBUG", "DJANGO_SETTINGS_MODULE", "DEBUG",
    "EMAIL_URL", "PORTAL_BASE_URL", "MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN", "PORTAL_OIDC_PROVIDERS",
}


def production_variables(**overrides: str) -> dict[str, str]:
    """The production switch and a safe value of each variable it checks."""
    return {
        "DJANGO_DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "dicas-portal.example",
        "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
        "EMAIL_URL": "smtp+tls://mailer:secret@smtp.example:587",
        "PORTAL_BASE_URL": "https://dicas-portal.example",
        **overrides,
    }


def production_environment(**overrides: str) -> dict[str, str]:
    """This process's environment without its portal variables, plus production's."""
    environment = {key: value for key, value in os.environ.items() if key not in PORTAL_VARIABLES}
    environment.update(production_variables(**overrides))
    return environment

"""The portal's own error pages (404, 403, 400, 500 and a refused form), in the language the
visitor asked for, with DEBUG off. The 500 page asks nothing of the database or of the
context processors: it shows when they are what failed."""

import pytest
from django.test import Client

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.foundation.error_urls")]

LANGUAGES = {
    "en": {"404": "Page not found", "403": "Not allowed", "400": "Bad request", "500": "Something went wrong",
           "csrf": "The form could not be accepted", "sign in": "Sign in", "portal": "DICAS Portal"},
    "ja": {"404": "ページが見つかりません", "403": "権限がありません", "400": "不正なリクエスト",
           "500": "問題が発生しました", "csrf": "フォームを受け付けられませんでした", "sign in": "ログイン",
           "portal": "DICASポータル"},
}


def broken_context_processor(request):
    raise RuntimeError("a context processor that fails, as one may when the cache or the database is down")


@pytest.fixture
def production(settings):
    settings.DEBUG = False


def get(path: str, language: str, **kwargs):
    client = Client(raise_request_exception=False, HTTP_ACCEPT_LANGUAGE=language)
    return client.get(path, **kwargs)


@pytest.mark.parametrize("language", ["en", "ja"])
def test_a_missing_page_answers_404_in_the_visitors_language_and_offers_to_sign_in(production, language):
    words = LANGUAGES[language]
    response = get("/no-such-page/?from=mail", language)
    page = response.content.decode()
    assert response.status_code == 404
    assert f'<html lang="{language}">' in page and words["404"] in page and words["portal"] in page
    assert 'href="/accounts/login/?next=/no-such-page/%3Ffrom%3Dmail"' in page
    assert page.count(words["sign in"]) >= 1


@pytest.mark.parametrize("language", ["en", "ja"])
def test_a_refusal_answers_403_in_the_signed_in_persons_language(production, cast, language):
    cast.industry.profile.preferred_language = language
    cast.industry.profile.save()
    client = Client(raise_request_exception=False)
    client.force_login(cast.industry)
    response = client.get("/test-errors/refused/")
    page = response.content.decode()
    assert response.status_code == 403
    assert f'<html lang="{language}">' in page and LANGUAGES[language]["403"] in page


@pytest.mark.parametrize("language", ["en", "ja"])
def test_a_failure_answers_500_without_the_database_or_the_context_processors(production, settings, language):
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "OPTIONS": {
        **settings.TEMPLATES[0]["OPTIONS"],
        "context_processors": [*settings.TEMPLATES[0]["OPTIONS"]["context_processors"],
                               "tests.foundation.test_error_pages.broken_context_processor"],
    }}]
    response = get("/test-errors/database-down/", language)
    page = response.content.decode()
    assert response.status_code == 500
    assert f'<html lang="{language}">' in page
    assert LANGUAGES[language]["500"] in page and LANGUAGES[language]["portal"] in page
    assert "went away" not in page  # no detail of the failure reaches the visitor


@pytest.mark.parametrize("language", ["en", "ja"])
def test_a_bad_request_answers_400_in_the_visitors_language(production, language):
    response = get("/test-errors/suspicious/", language)
    page = response.content.decode()
    assert response.status_code == 400
    assert f'<html lang="{language}">' in page and LANGUAGES[language]["400"] in page


@pytest.mark.parametrize("language", ["en", "ja"])
def test_a_form_without_its_token_is_refused_with_the_portals_page(production, language):
    client = Client(enforce_csrf_checks=True, raise_request_exception=False, HTTP_ACCEPT_LANGUAGE=language)
    response = client.post("/i18n/setlang/", {"language": "en"})
    page = response.content.decode()
    assert response.status_code == 403
    assert f'<html lang="{language}">' in page and LANGUAGES[language]["csrf"] in page

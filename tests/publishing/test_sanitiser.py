"""No script, event handler, javascript:/data: link, SVG or other active content survives the
rendering of minutes — in the renderer, in the live preview and on the published page;
tables and lists do survive."""

import re
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from forums.markdown import ALLOWED_TAGS, render_markdown
from forums.models import Minutes
from tests.factories import MinutesFactory
from tests.publishing.conftest import sign_in

PAYLOADS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=https://evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    "<div onmouseover=\"alert(1)\">hover</div>",
    "<body onload=alert(1)>",
    "<details open ontoggle=alert(1)>",
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x]( javascript:alert(1) )",
    "[x](&#106;avascript:alert(1))",
    "[x](vbscript:msgbox(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![x](javascript:alert(1))",
    "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "<a href=\"javascript&#58;alert(1)\">x</a>",
    "<a href=\"&#x6A;avascript:alert(1)\">x</a>",
    "<a href=\"java&#x09;script:alert(1)\">x</a>",
    "<a href=\"java\nscript:alert(1)\">x</a>",
    "<a href=\" javascript:alert(1)\">x</a>",
    "<a href=\"data:text/html,<script>alert(1)</script>\">x</a>",
    "<svg onload=alert(1)><circle r=1></svg>",
    "<svg><script>alert(1)</script></svg>",
    "<math><mi xlink:href=javascript:alert(1)>x</mi></math>",
    "<iframe src=javascript:alert(1)>",
    "<object data=javascript:alert(1)>",
    "<embed src=javascript:alert(1)>",
    "<form action=javascript:alert(1)><button>x</button></form>",
    "<base href=javascript:alert(1)//>",
    "<meta http-equiv=refresh content=\"0;url=javascript:alert(1)\">",
    "<link rel=stylesheet href=javascript:alert(1)>",
    "<style>@import \"javascript:alert(1)\";</style>",
    "<p style=\"background:url(javascript:alert(1))\">x</p>",
    "<template><script>alert(1)</script></template>",
    "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\">",
    "<scr<script>ipt>alert(1)</script>",
    "<<script>script>alert(1)<</script>/script>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<img src=\"x\" o<script>nerror=alert(1)>",
    "[x](https://example.org \"title\" onmouseover=\"alert(1)\")",
    "<a href=\"https://example.org\" onclick=\"alert(1)\">x</a>",
    "<!--<img src=x onerror=alert(1)>-->",
    "<![CDATA[<script>alert(1)</script>]]>",
]
FORBIDDEN_TAGS = {"script", "svg", "math", "img", "iframe", "object", "embed", "form", "button", "input", "base",
                  "meta", "link", "style", "template", "noscript", "body", "details"}
BAD_SCHEMES = ("javascript:", "vbscript:", "data:")


class Collector(HTMLParser):
    """Every element and attribute as a browser's tokenizer would see them."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))

    handle_startendtag = handle_starttag


def assert_inert(html: str) -> None:
    collector = Collector()
    collector.feed(html)
    collector.close()
    for tag, attrs in collector.tags:
        assert tag not in FORBIDDEN_TAGS, (tag, html)
        assert tag in ALLOWED_TAGS, (tag, html)
        for name, value in attrs:
            assert not name.startswith("on"), (name, html)
            assert name not in ("style", "src", "srcdoc", "action", "formaction", "xlink:href"), (name, html)
            # Browsers drop whitespace and control characters inside a scheme: so does this check.
            squeezed = re.sub(r"[\x00-\x20]", "", value or "").lower()
            assert not squeezed.startswith(BAD_SCHEMES), (name, value, html)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_no_payload_survives_rendering(payload):
    assert_inert(str(render_markdown(payload)))
    # Nor inside other Markdown: a list item, a table cell, a quote, a heading.
    for wrapped in (f"- {payload}", f"| a |\n|---|\n| {payload} |", f"> {payload}", f"## {payload}"):
        assert_inert(str(render_markdown(wrapped)))


def test_every_payload_together_stays_inert():
    assert_inert(str(render_markdown("\n\n".join(PAYLOADS))))


def test_tables_lists_and_safe_links_survive():
    html = str(render_markdown(
        "## Decisions\n\n"
        "| Item | Owner |\n|---|---|\n| Pilot cases | ATLA |\n\n"
        "- first\n- second\n\n1. one\n2. two\n\n"
        "[The forum](https://dicas.example/forum) and [mail](mailto:secretariat@dicas.example)"
    ))
    for fragment in ("<h2>Decisions</h2>", "<table>", "<th>Item</th>", "<td>ATLA</td>", "<ul>", "<li>first</li>",
                     "<ol>", '<a href="https://dicas.example/forum" rel="noopener noreferrer nofollow">',
                     'href="mailto:secretariat@dicas.example"'):
        assert fragment in html, fragment


@pytest.mark.django_db
def test_the_live_preview_answers_sanitised_html_to_the_secretariat_only(client, cast):
    # The table first: an unclosed raw HTML block in a payload turns the rest into raw HTML (Markdown's rule).
    body = "| a | b |\n|---|---|\n| 1 | 2 |\n\n" + "\n\n".join(PAYLOADS)
    url = reverse("forums:minutes_preview")
    for role in ("anonymous", "industry", "outsider", "member", "cochair"):
        response = sign_in(client, cast.roles()[role]).post(url, {"body": body})
        assert response.status_code == 403, role
    response = sign_in(client, cast.secretariat).post(url, {"body": body})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert response["X-Content-Type-Options"] == "nosniff"
    html = response.content.decode()
    assert_inert(html)
    assert "<table>" in html


@pytest.mark.django_db
def test_the_published_minutes_page_stays_inert(client, cast, plenary):
    minutes = MinutesFactory(meeting=plenary, status=Minutes.Status.PUBLISHED, body="\n\n".join(PAYLOADS))
    sign_in(client, cast.outsider)
    for url in (plenary.get_absolute_url(), reverse("forums:minutes_version", args=[minutes.pk]),
                reverse("forums:minutes_print", args=[minutes.pk])):
        page = client.get(url).content.decode()
        rendered = page.split('<div class="minutes">', 1)[1].split("</div>", 1)[0]
        assert_inert(rendered)

"""What people (and scripts) type into forms and query strings, for the property-based
tests: wrong types, long strings, NUL bytes, invalid UTF-8, odd Unicode, negative and
huge numbers, dates out of range.

Values are sent percent-encoded by hand, byte for byte, so that bytes which are not UTF-8
reach the portal as a browser or a script could send them.
"""

import os
from urllib.parse import quote, quote_from_bytes

from hypothesis import strategies as st

# The default profile runs these many examples per test; HYPOTHESIS_PROFILE=thorough ten
# times as many (tests/conftest.py registers the profiles).
SCALE = 10 if os.environ.get("HYPOTHESIS_PROFILE") == "thorough" else 1


def examples(count: int) -> int:
    return count * SCALE


ONE_MEGABYTE = "x" * (1024 * 1024)
MEGABYTE_ENCODED = ONE_MEGABYTE  # "x" needs no percent-encoding

odd_unicode = st.sampled_from([
    "\u202e‮reversed", "\u200b\u200b", "\ufeffbom", "e\u0301\u0301\u0301", "𝕯𝕴𝕮𝕬𝕾", "🇯🇵🇺🇸", "\U0010fffd",
    "ﷺ", "\u0000", "a\u0000b", "\r\n\r\n", "\t", " ", "Ｄ\uff29", "İ", "ß", "\x7f", "\x1b[31m",
    "<script>alert(1)</script>", "\"><img src=x onerror=alert(1)>", "{{ 7*7 }}", "{% debug %}", "${7*7}",
    "' OR 1=1 --", "../../etc/passwd", "%00", "%ff", "null", "None", "NaN", "Infinity", "-0", "[]", "{}",
])
numbers = st.one_of(
    st.integers(min_value=-(10**40), max_value=10**40).map(str),
    st.sampled_from(["-1", "0", "1", "32767", "32768", "65536", "2147483648", "9223372036854775808",
                     "1e309", "-1e309", "1.5", "0x10", "١٢٣", "٣", "Ⅻ", "1_000", " 1 ", "+1", "--1"]),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
)
dates = st.one_of(
    st.sampled_from(["0000-00-00", "0001-01-01", "1899-12-31", "1999-12-31", "2000-01-01", "2024-02-30",
                     "2024-13-01", "2100-12-31", "2101-01-01", "9999-12-31", "10000-01-01", "-0001-01-01",
                     "2024-06-10T10:00", "10/06/2024", "２０２４-０６-１０", "today", "2024-6-1", ""]),
    st.dates().map(lambda day: day.isoformat()),
)
short_text = st.text(max_size=40)


@st.composite
def raw_value(draw) -> str:
    """One form or query value, already percent-encoded."""
    kind = draw(st.sampled_from(["text", "odd", "number", "date", "bytes", "long"]))
    if kind == "bytes":
        return quote_from_bytes(draw(st.binary(max_size=40)), safe="")
    if kind == "long":
        # Past every max_length; the megabyte comes once per body at most (form_data).
        return quote(draw(st.sampled_from(["ア" * 5000, "x" * 301, "x" * 4097, "\x00" * 300])), safe="")
    value = draw({"text": short_text, "odd": odd_unicode, "number": numbers, "date": dates}[kind])
    return quote(value, safe="")


def encode(fields: dict[str, list[str]]) -> str:
    """An application/x-www-form-urlencoded body (or query string) of encoded values."""
    return "&".join(f"{quote(name, safe='')}={value}" for name, values in fields.items() for value in values)


def form_data(names: list[str], *, extra: bool = True, megabyte: bool = True) -> st.SearchStrategy[str]:
    """Garbage for the named fields (any of them may be missing or repeated), plus now
    and then a field the form does not know, and (for bodies, not query strings, which
    servers cap at a few kilobytes) now and then a field of a whole megabyte."""
    field = st.lists(raw_value(), min_size=0, max_size=2)
    known = st.fixed_dictionaries({}, optional={name: field for name in names})
    unknown = st.dictionaries(st.sampled_from(["role", "is_staff", "id", "pk", "user", "csrfmiddlewaretoken",
                                               "\x00", "é"]), field, max_size=2) if extra else st.just({})
    # Now and then one field is a whole megabyte (the shrunk failure then shows it as
    # "MEGABYTE" rather than printing a million characters).
    # About one body in ten: a megabyte takes time to parse, check and answer.
    big = (st.integers(min_value=0, max_value=9).flatmap(lambda n: st.sampled_from(names) if n == 9 else st.none())
           if names and megabyte else st.none())

    def build(parts) -> str:
        known_fields, unknown_fields, big = parts
        fields = {**unknown_fields, **known_fields}
        if big is not None:
            fields[big] = [MEGABYTE_ENCODED]
        return encode(fields)

    return st.tuples(known, unknown, big).map(build)


FORM = "application/x-www-form-urlencoded"

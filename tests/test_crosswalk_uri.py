"""The crosswalk's URL test is the rule the gate applies: jsonschema's format "uri".

The crosswalk calls rfc3986-validator directly so its workers never import jsonschema; this holds it
to jsonschema's own format checker, on generated text and on the shapes publishers write.
"""

from hypothesis import example, given, settings
from hypothesis import strategies as st
from jsonschema import FormatChecker

from transforms.crosswalk.common import is_url

GATE = FormatChecker(["uri"])
URL_PARTS = st.sampled_from(
    [
        "http://",
        "https://",
        "ftp://",
        "www.",
        "://",
        "mailto:",
        " ",
        "%",
        "%2",
        "[",
        "]",
        "::1",
        "#",
        "?",
        "/",
        "é",
        "|",
        "\\",
    ]
)
URL_LIKE = st.lists(st.one_of(URL_PARTS, st.text(max_size=6)), max_size=8).map("".join)


@settings(max_examples=2000, deadline=None)
@given(URL_LIKE)
@example("https://data.example.gov/dataset/1.csv")
@example("www.example.gov/a b")
@example("http://[::1]:8080/x")
@example("https://example.gov/%zz")
@example("http://exa mple.gov")
def test_a_url_is_what_the_gate_accepts_as_a_uri(text):
    if text.startswith("www."):
        expected = GATE.conforms(f"https://{text}", "uri")
    else:
        expected = "://" in text and GATE.conforms(text, "uri")
    assert is_url(text) == expected, text

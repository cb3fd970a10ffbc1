"""jsonschema's IRI checks behave the same when rfc3987-syntax's grammar is built on first use
(transforms.iri_grammar), and importing jsonschema or GE no longer builds it."""

import json
import subprocess
import sys

from tests.conftest import ROOT

# Well-formed and malformed IRIs and IRI references, as DCAT-US 3.0 records carry them.
VALUES = [
    "https://resources.data.gov/dcat-us/3.0.0/definitions/Dataset",
    "https://example.gov/données/été?q=1#frag",
    "urn:uuid:0f8fad5b-d9cb-469f-a165-70867728950e",
    "mailto:data@example.gov",
    "relative/path",
    "",
    "https://example.gov/a b",
    "http://[::1",
    "not an iri at all",
    "https://example.gov/%zz",
    "ftp://example.gov/file.csv",
]

PROBE = """
import json, sys
{setup}
import jsonschema
built_at_import = "rfc3987_syntax.syntax_helpers" in sys.modules
checker = jsonschema.Draft202012Validator.FORMAT_CHECKER
values = json.loads(sys.argv[1])
answers = {{kind: [checker.conforms(value, kind) for value in values] for kind in ("iri", "iri-reference")}}
print(json.dumps({{"built_at_import": built_at_import, "answers": answers,
                  "built_after": "rfc3987_syntax.syntax_helpers" in sys.modules}}))
"""


def probe(setup: str) -> dict:
    """What a fresh interpreter finds: jsonschema's answers for VALUES, and when the grammar was built."""
    script = PROBE.format(setup=setup)
    done = subprocess.run(
        [sys.executable, "-c", script, json.dumps(VALUES)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)


def test_iri_checks_answer_the_same_with_the_grammar_built_on_first_use():
    plain = probe("")
    deferred = probe("from transforms.iri_grammar import defer_iri_grammar; defer_iri_grammar()")
    assert plain["built_at_import"] is True  # what the deferral is for
    assert deferred["built_at_import"] is False
    assert deferred["answers"] == plain["answers"]
    assert deferred["built_after"] is True
    # The values above are of both kinds, so the comparison says something.
    assert {True, False} <= set(plain["answers"]["iri"])


def test_importing_great_expectations_leaves_the_grammar_unbuilt():
    script = (
        "import sys; from transforms.gate import suites; suites.great_expectations(); "
        "print('rfc3987_syntax.syntax_helpers' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "False"

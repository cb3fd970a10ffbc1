"""Batch-level gate: the Great Expectations suites in ``expectations/``, counted per source.

Cost: one GE validation per suite and run, over the rows of every source at once, not one
per source (GE costs about 0.1-0.3 s per validation even on a tiny batch; 1,000 sources
would spend minutes). The ``COMPLETE`` result format with ``source_id`` and ``identifier``
as unexpected-index columns lists every unexpected row, so each source's unexpected
count and examples come from that one run; a source fails an expectation when its own
share of unexpected values is above ``1 - mostly``, the same rule GE applies to a batch.

The record suite's rows are many: the Spark tasks judge them in bounded batches (``batch_judge``),
and ``combine_batches`` adds the batches' results up to exactly that one validation, so no
process holds every record. The change set (one row per source) is validated as one frame.

The Data Docs are the run's: GE's run name is the harvest run id, the data asset names the batch
(the suite's rows of every source of the run), and every page links back to the run's report.html,
saying beside the link that GE judged the whole batch while the report judges each source.
"""

import copy
import gc
import json
import logging
import os
import posixpath
import re
import sys
import tempfile
import threading
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

import pandas as pd

from transforms import lake
from transforms.background import start_in_background
from transforms.gate.data_docs_offline import make_offline
from transforms.iri_grammar import defer_iri_grammar
from transforms.reports.html_text import html_text
from transforms.reports.report_html import BATCH_NOTE

log = logging.getLogger(__name__)
# The suites are package data, read through importlib.resources: found the same way whether the project
# is a folder, an installed wheel or an archive on the Python path (Glue's --extra-py-files).
PACKAGED_SUITES = resources.files("expectations")
SEVERITIES = ("critical", "warning")
EXAMPLES = 5
# Where the run's report.html is from the Data Docs site (runs/<run_id>/quality/ -> runs/<run_id>/report/).
REPORT_FROM_SITE = "../report/report.html"
BODY_TAG = re.compile(r"<body\b[^>]*>")
# The columns that name a record (a record suite's unexpected rows list them), and its place among all rows.
RECORD_KEY = ("source_id", "identifier")
POSITION = "position"
RESULT_FORMAT = {"result_format": "COMPLETE"}
# Expectations whose element count includes nulls; the others, like GE, skip null values.
_COUNTS_NULLS = ("expect_column_values_to_not_be_null", "expect_compound_columns_to_be_unique")


_IMPORTING = threading.Lock()
IMPORT_SWITCH_INTERVAL = 0.0002  # seconds


def great_expectations():
    """The ``great_expectations`` package, imported on first use with the cyclic garbage collector paused, then
    every object alive frozen out of later collections (``gc.freeze``).

    Importing GE leaves about 390,000 objects the collector tracks. With the collector running, its
    collections during the import took about 0.8 s of the import's 4.6 s; every later full collection
    walked them all again (8 in a 500-record first harvest, 0.84 s), and the interpreter's last one at
    exit took another second. Frozen, they are never walked again: they live as long as the process.
    The import's own cyclic garbage (about 54,000 objects, found only by a full collection) is frozen
    with them rather than collected: a little memory once, not time. Call it before the run's rows are
    on the driver, so that they are not frozen with GE.
    """
    with _IMPORTING:  # an import started by import_in_background finishes before this returns
        if "great_expectations" not in sys.modules:
            defer_iri_grammar()  # jsonschema, which GE imports, builds its IRI grammar on first use
            was_enabled = gc.isenabled()
            switch_interval = sys.getswitchinterval()
            gc.disable()
            # The import holds the GIL for seconds; on a thread of its own, the thread that waits for it
            # most (the job's, waking from each Spark call) would get it only every 5 ms (the default).
            sys.setswitchinterval(IMPORT_SWITCH_INTERVAL)
            try:
                import great_expectations  # noqa: F401 - imported here once, then found in sys.modules
            finally:
                sys.setswitchinterval(switch_interval)
                if was_enabled:
                    gc.enable()
            gc.freeze()
    return sys.modules["great_expectations"]


def import_in_background() -> None:
    """Start ``great_expectations()`` on a thread, so that its import (3 to 4 s of CPU, one core) overlaps
    the Spark work a stage does before its suites run (and, in a stage of its own, the JVM's start).

    The first call of ``great_expectations()`` that follows waits for it. A failed import is left for
    that call to raise again.
    """
    start_in_background("import-great-expectations", great_expectations)


def ephemeral_context():
    """A new GE ephemeral context that draws no progress bars, GE imported by ``great_expectations``."""
    gx = great_expectations()
    from great_expectations.data_context.types.base import ProgressBarsConfig

    # Set after the import: that module sets its own logger to INFO when imported, and logs a
    # temporary-directory line at every context creation.
    logging.getLogger("great_expectations.data_context.types.base").setLevel(logging.WARNING)
    context = gx.get_context(mode="ephemeral")
    # GE draws "Calculating Metrics" bars on stderr (garbage in a log file) unless the context says not to.
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    return context


class SuiteError(RuntimeError):
    """A suite is missing or unreadable: a fatal problem, the validate stage stops."""


@dataclass
class Failure:
    """One expectation one source failed."""

    expectation: str
    column: str | None
    severity: str
    unexpected_count: int
    element_count: int
    kwargs: dict
    examples: list = field(default_factory=list)

    def summary(self) -> dict:
        """The entry of the quality summary (the run report's per-source failed expectations)."""
        return {
            "expectation": self.expectation,
            "column": self.column,
            "severity": self.severity,
            "unexpected_count": self.unexpected_count,
            "examples": self.examples,
        }


def load_suite(suites_dir: str | Traversable, name: str) -> dict:
    """A suite's JSON (name, meta, expectations with a severity each) from a folder or package resources.

    SuiteError when it is missing or unusable.
    """
    path = (Path(suites_dir) if isinstance(suites_dir, str) else suites_dir) / f"{name}.json"
    try:
        suite = json.loads(path.read_text(encoding="utf-8"))
        expectations = suite["expectations"]
        bad = [e.get("type") for e in expectations if e.get("meta", {}).get("severity") not in SEVERITIES]
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        raise SuiteError(f"expectation suite {path} is missing or unreadable: {error}") from error
    if bad:
        raise SuiteError(
            f"expectation suite {path}: every expectation needs meta.severity in {SEVERITIES}; not {bad}"
        )
    return suite


class SuiteRunner:
    """An ephemeral GE context with a pandas data source and a local Data Docs site, for one harvest run."""

    def __init__(self, docs_dir: str, run_id: str):
        self.context = ephemeral_context()
        from great_expectations.core.run_identifier import RunIdentifier

        self.gx = great_expectations()
        self.run_id = run_id
        # One run time for every suite of the run, so their pages sit in one run folder of the site.
        self.ge_run = RunIdentifier(run_name=run_id, run_time=datetime.now(UTC))
        self.context.add_data_docs_site(
            site_name="harvest",
            site_config={
                "class_name": "SiteBuilder",
                "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": docs_dir},
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            },
        )
        self.source = self.context.data_sources.add_pandas("harvest")
        self.results: dict[str, dict] = {}
        self._kept: list = []  # (GE's result key, the validation the Data Docs show), per suite that ran

    def run(self, suite: dict, frame: pd.DataFrame, index_columns: list[str]):
        """Validate one frame against one suite; its Data Docs pages are built by ``build_docs``."""
        key, validation = self._validate(suite, frame, index_columns)
        sources = frame["source_id"].nunique() if "source_id" in frame else 0
        self._keep(key, validation, len(frame), sources)
        return validation

    def _validate(self, suite: dict, frame: pd.DataFrame, index_columns: list[str]):
        """(GE's result key, validation) of one frame against one suite."""
        name = suite["name"]
        batch = self.source.add_dataframe_asset(name).add_batch_definition_whole_dataframe("run")
        definition = self.context.validation_definitions.add(
            self.gx.ValidationDefinition(
                name=name, data=batch, suite=self.context.suites.add(expectation_suite(suite))
            )
        )
        # No Data Docs action: the docs are built below from a copy of the result with publisher text escaped.
        checkpoint = self.context.checkpoints.add(
            self.gx.Checkpoint(
                name=name,
                validation_definitions=[definition],
                actions=[],
                result_format={**RESULT_FORMAT, "unexpected_index_column_names": index_columns},
            )
        )
        result = checkpoint.run(batch_parameters={"dataframe": frame}, run_id=self.ge_run)
        return next(iter(result.run_results.items()))

    def run_judged(self, suite: dict, judged: "JudgedBatches"):
        """The validation of the suite over every batch ``judged`` combined: GE's own result on an empty
        frame of the batches' columns (its run, suite and expectations), with each expectation's result
        and the statistics the batches add up to."""
        key, validation = self._validate(suite, pd.DataFrame(columns=judged.columns), [])
        for item, (success, details) in zip(validation.results, judged.results, strict=True):
            item.success, item.result = success, details
        successful = sum(success for success, _ in judged.results)
        validation.success = successful == len(judged.results)
        validation.statistics.update(
            evaluated_expectations=len(judged.results),
            successful_expectations=successful,
            unsuccessful_expectations=len(judged.results) - successful,
            success_percent=successful / len(judged.results) * 100 if judged.results else None,
        )
        self._keep(key, validation, judged.rows, len(judged.sources))
        return validation

    def _keep(self, key, validation, rows: int, sources: int) -> None:
        """Keep a validation for results.json and the Data Docs (built once, by ``build_docs``)."""
        name = validation.suite_name
        result_json = _trimmed(validation.to_json_dict())
        # results.json names the run and its report as the pages do (GE's run name is the run id too).
        result_json.setdefault("meta", {})["harvest_run"] = {
            "run_id": self.run_id,
            "report": REPORT_FROM_SITE,
        }
        self.results[name] = result_json
        batch_name = f"{name} batch of run {self.run_id}: {rows} rows from {sources} source(s)"
        self._kept.append((key, _shown(validation, batch_name)))

    def build_docs(self) -> None:
        """The Data Docs pages of the suites that ran, built once, from copies whose observed values are escaped."""
        from great_expectations.data_context.types.resource_identifiers import ExpectationSuiteIdentifier

        identifiers = []
        for key, shown in self._kept:
            self.context.validation_results_store.set(key, shown)
            identifiers += [key, ExpectationSuiteIdentifier(name=shown.suite_name)]
        if identifiers:
            self.context.build_data_docs(site_names=["harvest"], resource_identifiers=identifiers)


def expectation_suite(suite: dict):
    """The GE ExpectationSuite of a suite's JSON."""
    gx = great_expectations()
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    expectation_suite = gx.ExpectationSuite(name=suite["name"], meta=suite.get("meta", {}))
    for spec in suite["expectations"]:
        expectation_suite.add_expectation_configuration(
            ExpectationConfiguration(type=spec["type"], kwargs=spec["kwargs"], meta=spec["meta"])
        )
    return expectation_suite


def _shown(validation, batch_name: str):
    """A copy of a validation for the Data Docs, its observed values escaped.

    GE writes the values it found (identifiers, dates, addresses, URLs: the publisher's text) into
    its pages as raw HTML. The expectations judged the real values; the pages show the escaped
    copy, which a browser displays as the same text and never runs.
    """
    shown = copy.deepcopy(validation)
    for item in shown.results:
        item.result = escaped(item.result)
        item.exception_info = escaped(item.exception_info)
    # GE's page names the data asset from the batch spec, which a dataframe batch leaves without one.
    shown.meta["batch_spec"] = {
        **(shown.meta.get("batch_spec") or {}),
        "data_asset_name": html_text(batch_name),
    }
    return shown


def escaped(value):
    """Every string in a result (lists, dicts and their keys too) as HTML text; other values as they are."""
    if isinstance(value, str):
        return html_text(value)
    if isinstance(value, dict):
        return {escaped(name): escaped(item) for name, item in value.items()}
    if isinstance(value, list | tuple):
        return [escaped(item) for item in value]
    return value


def _trimmed(result: dict, keep: int = 100) -> dict:
    """A validation result for results.json: lists of unexpected rows cut to ``keep`` entries."""
    for item in result.get("results", []):
        details = item.get("result") or {}
        for key in ("unexpected_list", "unexpected_index_list", "partial_unexpected_index_list"):
            if isinstance(details.get(key), list):
                details[key] = details[key][:keep]
        details.pop("unexpected_index_query", None)
    return result


def _judged_rows(frame: pd.DataFrame, kwargs: dict) -> pd.DataFrame:
    """The rows an expectation judges: all, or those its pandas ``row_condition`` selects (one DCAT-US class)."""
    condition = kwargs.get("row_condition")
    if isinstance(condition, dict):  # GE hands the condition back wrapped
        condition = condition.get("pass_through_filter")
    return frame.query(condition, engine="python") if condition else frame


def _element_counts(frame: pd.DataFrame, kind: str, kwargs: dict) -> dict[str, int]:
    """Per source, how many values an expectation judged (GE skips nulls except where they count)."""
    frame = _judged_rows(frame, kwargs)
    if kind in _COUNTS_NULLS or "column" not in kwargs:
        counts = frame.groupby("source_id").size()
    else:
        counts = frame.groupby("source_id")[kwargs["column"]].count()
    return {source_id: int(count) for source_id, count in counts.items()}


def failures_by_source(validation, frame: pd.DataFrame, key: str = "identifier") -> dict[str, list[Failure]]:
    """The expectations each source failed, from one all-source validation of ``frame``."""
    elements = [
        _element_counts(frame, item.expectation_config.type, item.expectation_config.kwargs)
        for item in validation.results
    ]
    return source_failures(validation, elements, key)


def source_failures(validation, elements: list[dict[str, int]], key: str) -> dict[str, list[Failure]]:
    """The expectations each source failed: ``elements`` holds, per expectation of the validation, how many
    values of each source it judged; ``key`` names the column whose values are the examples."""
    failed: dict[str, list[Failure]] = defaultdict(list)
    for item, judged_of_source in zip(validation.results, elements, strict=True):
        config, details = item.expectation_config, item.result or {}
        rows = details.get("unexpected_index_list") or []
        if not rows:
            continue
        counts = Counter(row["source_id"] for row in rows)
        examples: dict[str, list] = defaultdict(list)
        for row in rows:
            if len(examples[row["source_id"]]) < EXAMPLES and row.get(key) not in examples[row["source_id"]]:
                examples[row["source_id"]].append(row.get(key))
        mostly = config.kwargs.get("mostly", 1.0)
        for source_id, unexpected in counts.items():
            judged = judged_of_source.get(source_id, 0)
            if judged and (judged - unexpected) / judged >= mostly:
                continue
            failed[source_id].append(
                Failure(
                    expectation=config.type,
                    column=config.kwargs.get("column"),
                    severity=config.meta.get("severity", "warning"),
                    unexpected_count=unexpected,
                    element_count=judged,
                    kwargs=dict(config.kwargs),
                    examples=examples[source_id],
                )
            )
    return dict(failed)


@dataclass
class JudgedBatches:
    """A suite's verdict on every batch of its rows, combined: what one validation of all the rows gives.

    ``results`` holds (success, GE's result dict) per expectation, ``elements`` per expectation the values
    of each source it judged; ``rows`` and ``sources`` count what was judged, ``columns`` name it.
    """

    results: list[tuple[bool, dict]]
    elements: list[dict[str, int]]
    rows: int
    sources: set[str]
    columns: list[str]


def _batch_validation(suite: dict):
    """This process's GE ValidationDefinition of a suite over a pandas batch: one ephemeral context per
    worker process and suite, so a task's batches pay GE's set-up once."""
    name = json.dumps(suite, sort_keys=True)
    if name not in _BATCH_VALIDATIONS:
        gx = great_expectations()
        context = ephemeral_context()
        batch = (
            context.data_sources.add_pandas("batch")
            .add_dataframe_asset(suite["name"])
            .add_batch_definition_whole_dataframe("batch")
        )
        _BATCH_VALIDATIONS[name] = context.validation_definitions.add(
            gx.ValidationDefinition(
                name=suite["name"], data=batch, suite=context.suites.add(expectation_suite(suite))
            )
        )
    return _BATCH_VALIDATIONS[name]


_BATCH_VALIDATIONS: dict[str, object] = {}


def _plain(value):
    """A numpy scalar GE hands back as the Python value JSON can carry."""
    return value.item() if hasattr(value, "item") else str(value)


def judge_batch(suite: dict, frame: pd.DataFrame) -> dict:
    """One batch's share of a validation, as JSON-ready data ``combine_batches`` adds up.

    ``frame`` has the ``POSITION`` column (the row's place among all rows) beside the suite's columns;
    per expectation: element, missing and unexpected counts, the unexpected rows (position, index row)
    and the values each source had judged.
    """
    index_columns = [*RECORD_KEY, POSITION]
    validation = _batch_validation(suite).run(
        batch_parameters={"dataframe": frame},
        result_format={**RESULT_FORMAT, "unexpected_index_column_names": index_columns},
    )
    expectations = []
    for spec, item in zip(suite["expectations"], validation.results, strict=True):
        details = item.result
        # The index rows, not the values: GE lists every unexpected row's index but only the first
        # values (in the batch's order), and an index row holds the judged value too.
        unexpected = [
            (row[POSITION], {name: cell for name, cell in row.items() if name != POSITION})
            for row in details["unexpected_index_list"]
        ]
        expectations.append(
            {
                "element_count": details["element_count"],
                "missing_count": details.get("missing_count"),
                "unexpected_count": details["unexpected_count"],
                "unexpected": unexpected,
                "elements": _element_counts(frame, spec["type"], spec["kwargs"]),
            }
        )
    return json.loads(
        json.dumps(
            {
                "rows": len(frame),
                "sources": sorted(frame["source_id"].dropna().unique().tolist()),
                "columns": [name for name in frame.columns if name != POSITION],
                "expectations": expectations,
            },
            default=_plain,
        )
    )


def combine_batches(suite: dict, batches: list[dict]) -> JudgedBatches:
    """The validation of all the rows from the ``judge_batch`` shares of its batches: exactly GE's result
    over one frame of every row in ``POSITION`` order, built by GE's own result formatter.

    Every expectation is row-wise but ``expect_compound_columns_to_be_unique``; its rows are
    exact too because a key's rows are never split between batches (``key_batches``). Counts add up,
    the unexpected rows merge in position order (GE lists the values of the first ``MAX_RESULT_RECORDS``),
    and success is GE's rule on the totals.
    """
    great_expectations()
    from great_expectations.constants import MAX_RESULT_RECORDS
    from great_expectations.expectations.expectation import _format_map_output
    from great_expectations.expectations.expectation_configuration import parse_result_format

    result_format = parse_result_format(RESULT_FORMAT)
    results, elements = [], []
    for number, spec in enumerate(suite["expectations"]):
        shares = [batch["expectations"][number] for batch in batches]
        element_count = sum(share["element_count"] for share in shares)
        unexpected_count = sum(share["unexpected_count"] for share in shares)
        missing = [share["missing_count"] for share in shares]
        # GE reports missing values for every expectation but not_be_null, where nulls are the unexpected
        nonnull_count = None if None in missing else element_count - sum(missing)
        considered = element_count if nonnull_count is None else nonnull_count
        mostly = spec["kwargs"].get("mostly", 1.0)
        success = considered == 0 or (considered - unexpected_count) / considered >= mostly
        unexpected = sorted((row for share in shares for row in share["unexpected"]), key=lambda row: row[0])
        index_rows = [index_row for _, index_row in unexpected]
        details = _format_map_output(
            result_format=result_format,
            success=success,
            element_count=element_count,
            nonnull_count=nonnull_count,
            unexpected_count=unexpected_count,
            unexpected_list=[_judged_value(spec, row) for row in index_rows[:MAX_RESULT_RECORDS]],
            unexpected_index_list=index_rows,
            unexpected_index_column_names=list(RECORD_KEY),
        )
        results.append((success, details["result"]))
        elements.append(dict(sum((Counter(share["elements"]) for share in shares), Counter())))
    return JudgedBatches(
        results=results,
        elements=elements,
        rows=sum(batch["rows"] for batch in batches),
        sources={source for batch in batches for source in batch["sources"]},
        columns=batches[0]["columns"] if batches else [],
    )


def _judged_value(spec: dict, index_row: dict):
    """The value GE lists for an unexpected row: its column's, or its columns' as a dict."""
    if "column" in spec["kwargs"]:
        return index_row[spec["kwargs"]["column"]]
    return {name: index_row[name] for name in spec["kwargs"]["column_list"]}


def key_batches(frames: Iterator[pd.DataFrame], rows: int) -> Iterator[pd.DataFrame]:
    """Frames sorted by ``RECORD_KEY`` cut into batches of about ``rows`` rows, never splitting a key's
    rows (a key with more rows than that is one batch of its own size): a batch holds every duplicate
    of its keys, so uniqueness judged per batch is uniqueness over all rows."""
    pending = pd.DataFrame()
    for frame in frames:
        pending = (
            pd.concat([pending, frame], ignore_index=True) if len(pending) else frame.reset_index(drop=True)
        )
        while len(pending) > rows:
            starts = _key_starts(pending)
            cut = max((start for start in starts if 0 < start <= rows), default=None)
            if cut is None:
                cut = min((start for start in starts if start > rows), default=None)
            if cut is None:  # one key so far: it may go on in the next frame
                break
            yield pending.iloc[:cut]
            pending = pending.iloc[cut:].reset_index(drop=True)
    if len(pending):
        yield pending


def _key_starts(frame: pd.DataFrame) -> list[int]:
    """The row numbers where a new ``RECORD_KEY`` begins (nulls equal to nulls, as GE's uniqueness sees them)."""
    same = pd.Series(True, index=frame.index)
    for name in RECORD_KEY:
        column, before = frame[name], frame[name].shift()
        same &= (column == before) | (column.isna() & before.isna())
    return [int(row) for row in frame.index[~same]]


def batch_judge(suite: dict, rows: int):
    """The mapInPandas function: a partition's rows (sorted by ``RECORD_KEY``, every row of a key in
    the partition) judged ``rows`` at a time, one ``payload`` (``judge_batch`` as JSON) per batch."""

    def judge(frames: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        for batch in key_batches(frames, rows):
            yield pd.DataFrame({"payload": [json.dumps(judge_batch(suite, batch))]})

    return judge


def link_run_report(site_dir: str, run_id: str) -> None:
    """Put a banner at the top of every Data Docs page: the harvest run it belongs to, a link to the run's
    report.html (relative, so it works from a folder, a copy or S3), and why their verdicts may differ."""
    site = Path(site_dir)
    for path in site.rglob("*.html"):
        to_site = os.path.relpath(site, path.parent).replace(os.sep, "/")
        report = posixpath.normpath(posixpath.join(to_site, REPORT_FROM_SITE))
        banner = (
            '<div id="harvest-run" class="alert alert-info m-0" style="border-radius:0">'
            f'Harvest run <b>{html_text(run_id)}</b>: <a id="harvest-report" href="{html_text(report)}">'
            f"the run report (report.html)</a>. {html_text(BATCH_NOTE)}</div>"
        )
        page = path.read_text(encoding="utf-8")
        body = BODY_TAG.search(page)
        if body:
            path.write_text(page[: body.end()] + banner + page[body.end() :], encoding="utf-8")


def publish_reports(runner: SuiteRunner, docs_dir: str, quality_dir: str) -> str | None:
    """Build the Data Docs, write results.json beside them, link them to the run's report, make them work offline and copy
    the folder to quality_dir.

    Returns the index page's path in the folder, or None.
    """
    runner.build_docs()
    Path(docs_dir).mkdir(parents=True, exist_ok=True)
    Path(docs_dir, "results.json").write_text(
        json.dumps(runner.results, indent=1, default=str), encoding="utf-8"
    )
    link_run_report(docs_dir, runner.run_id)
    make_offline(docs_dir)
    lake.upload_folder(docs_dir, quality_dir)
    return "index.html" if Path(docs_dir, "index.html").is_file() else None


def new_docs_dir() -> str:
    """A local temporary folder to build Data Docs in (removed by the caller)."""
    return tempfile.mkdtemp(prefix="harvest-quality-")

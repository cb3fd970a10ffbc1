"""Batch-level gate: the Great Expectations suites in ``expectations/``, counted per source.

Cost: one GE validation per suite and run, over the rows of every source at once, not one
per source (GE costs about 0.1-0.3 s per validation even on a tiny batch; 1,000 sources
would spend minutes). The ``COMPLETE`` result format with ``source_id`` and ``identifier``
as unexpected-index columns lists every unexpected row, so each source's unexpected
count and examples come from that one run; a source fails an expectation when its own
share of unexpected values is above ``1 - mostly``, the same rule GE applies to a batch.

The Data Docs are the run's: GE's run name is the harvest run id, the data asset names the batch
(the suite's rows of every source of the run), and every page links back to the run's report.html,
saying beside the link that GE judged the whole batch while the report judges each source.
"""

import copy
import json
import logging
import os
import posixpath
import re
import tempfile
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

import pandas as pd

from transforms import lake
from transforms.gate.data_docs_offline import make_offline
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
# Expectations whose element count includes nulls; the others, like GE, skip null values.
_COUNTS_NULLS = ("expect_column_values_to_not_be_null", "expect_compound_columns_to_be_unique")


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
        import great_expectations as gx
        from great_expectations.core.run_identifier import RunIdentifier
        from great_expectations.data_context.types.base import ProgressBarsConfig

        # Set after the import: that module sets its own logger to INFO when imported, and logs a
        # temporary-directory line at every context creation.
        logging.getLogger("great_expectations.data_context.types.base").setLevel(logging.WARNING)
        self.gx = gx
        self.run_id = run_id
        # One run time for every suite of the run, so their pages sit in one run folder of the site.
        self.ge_run = RunIdentifier(run_name=run_id, run_time=datetime.now(UTC))
        self.context = gx.get_context(mode="ephemeral")
        # GE draws "Calculating Metrics" bars on stderr (garbage in a log file) unless the context says not to.
        self.context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
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

    def run(self, suite: dict, frame: pd.DataFrame, index_columns: list[str]):
        """Validate one frame against one suite (a checkpoint that also updates Data Docs)."""
        from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

        gx, name = self.gx, suite["name"]
        expectation_suite = gx.ExpectationSuite(name=name, meta=suite.get("meta", {}))
        for spec in suite["expectations"]:
            expectation_suite.add_expectation_configuration(
                ExpectationConfiguration(type=spec["type"], kwargs=spec["kwargs"], meta=spec["meta"])
            )
        expectation_suite = self.context.suites.add(expectation_suite)
        batch = self.source.add_dataframe_asset(name).add_batch_definition_whole_dataframe("run")
        definition = self.context.validation_definitions.add(
            gx.ValidationDefinition(name=name, data=batch, suite=expectation_suite)
        )
        # No Data Docs action: the docs are built below from a copy of the result with publisher text escaped.
        checkpoint = self.context.checkpoints.add(
            gx.Checkpoint(
                name=name,
                validation_definitions=[definition],
                actions=[],
                result_format={"result_format": "COMPLETE", "unexpected_index_column_names": index_columns},
            )
        )
        result = checkpoint.run(batch_parameters={"dataframe": frame}, run_id=self.ge_run)
        key, validation = next(iter(result.run_results.items()))
        result_json = _trimmed(validation.to_json_dict())
        # results.json names the run and its report as the pages do (GE's run name is the run id too).
        result_json.setdefault("meta", {})["harvest_run"] = {
            "run_id": self.run_id,
            "report": REPORT_FROM_SITE,
        }
        self.results[name] = result_json
        self._build_docs(key, validation, _batch_name(name, self.run_id, frame))
        return validation

    def _build_docs(self, key, validation, batch_name: str) -> None:
        """The Data Docs pages of one validation, rendered from a copy whose observed values are escaped.

        GE writes the values it found (identifiers, dates, addresses, URLs: the publisher's text) into
        its pages as raw HTML. The expectations judged the real values; the pages show the escaped
        copy, which a browser displays as the same text and never runs.
        """
        from great_expectations.data_context.types.resource_identifiers import ExpectationSuiteIdentifier

        shown = copy.deepcopy(validation)
        for item in shown.results:
            item.result = escaped(item.result)
            item.exception_info = escaped(item.exception_info)
        # GE's page names the data asset from the batch spec, which a dataframe batch leaves without one.
        shown.meta["batch_spec"] = {
            **(shown.meta.get("batch_spec") or {}),
            "data_asset_name": html_text(batch_name),
        }
        self.context.validation_results_store.set(key, shown)
        self.context.build_data_docs(
            site_names=["harvest"],
            resource_identifiers=[key, ExpectationSuiteIdentifier(name=validation.suite_name)],
        )


def _batch_name(suite_name: str, run_id: str, frame: pd.DataFrame) -> str:
    """What one validation judged: the suite's batch of the run, with its rows and sources."""
    sources = frame["source_id"].nunique() if "source_id" in frame else 0
    return f"{suite_name} batch of run {run_id}: {len(frame)} rows from {sources} source(s)"


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


def _judged_rows(frame: pd.DataFrame, config) -> pd.DataFrame:
    """The rows an expectation judges: all, or those its pandas ``row_condition`` selects (one DCAT-US class)."""
    condition = config.kwargs.get("row_condition")
    if isinstance(condition, dict):  # GE hands the condition back wrapped
        condition = condition.get("pass_through_filter")
    return frame.query(condition, engine="python") if condition else frame


def _element_counts(frame: pd.DataFrame, config) -> pd.Series:
    """Per source, how many values the expectation judged (GE skips nulls except where they count)."""
    frame = _judged_rows(frame, config)
    if config.type in _COUNTS_NULLS or "column" not in config.kwargs:
        return frame.groupby("source_id").size()
    return frame.groupby("source_id")[config.kwargs["column"]].count()


def failures_by_source(validation, frame: pd.DataFrame, key: str = "identifier") -> dict[str, list[Failure]]:
    """The expectations each source failed, from one all-source validation result."""
    failed: dict[str, list[Failure]] = defaultdict(list)
    for item in validation.results:
        config, details = item.expectation_config, item.result or {}
        rows = details.get("unexpected_index_list") or []
        if not rows:
            continue
        counts = Counter(row["source_id"] for row in rows)
        examples: dict[str, list] = defaultdict(list)
        for row in rows:
            if len(examples[row["source_id"]]) < EXAMPLES and row.get(key) not in examples[row["source_id"]]:
                examples[row["source_id"]].append(row.get(key))
        elements = _element_counts(frame, config)
        mostly = config.kwargs.get("mostly", 1.0)
        for source_id, unexpected in counts.items():
            judged = int(elements.get(source_id, 0))
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
    """Write results.json beside Data Docs, link them to the run's report, make them work offline and copy
    the folder to quality_dir.

    Returns the index page's path in the folder, or None.
    """
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

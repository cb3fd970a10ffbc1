"""`make glue-submit-run`: the five jobs run the way AWS Glue runs them, on this machine, over the bundled samples.

- Each job is its own ``spark-submit`` of ``dist/jobs/<stage>.py`` (``make package``), in the
  workflow's order, stopping at the first that fails, as the triggers do.
- The project arrives only as ``--py-files dist/glue_harvester-<version>.zip``, what Glue's
  ``--extra-py-files`` is; the Python is a virtual environment with only what the chosen Glue version
  has (``--glue-version``, default the stack's; devtools.glue_python), the working folder is empty and there is no PYTHONPATH, so nothing else
  can provide the project to the driver or to the Python workers.
- Each job gets its DefaultArguments from the template and what Glue adds (``--JOB_NAME``,
  ``--JOB_RUN_ID``, ``--WORKFLOW_NAME``, ``--WORKFLOW_RUN_ID``); only the lake, the registry, the
  archive and Glue's temporary folder are local.
- The workflow run and its run properties live in moto's Glue API (server mode, 127.0.0.1), which
  the jobs reach through boto3 as on AWS (``AWS_ENDPOINT_URL_GLUE``); load registers the catalog tables there.

``python -m devtools.glue_submit --lake lake-glue [--glue-version 5.1] [--force] [--only-sources a,b] [--compare lake]``
"""

import argparse
import errno
import logging
import os
import shlex
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import boto3

from devtools.glue_python import build_glue_venv, default_glue_version, glue_versions
from devtools.published_catalog import catalog_difference, published_records
from devtools.run_samples import port_problem, serving_samples
from glue_jobs.runtime import BRIEF_SESSION_JIT, log4j_option
from harvest_cli.aws_commands import DeployError, find_artifacts
from harvest_cli.aws_runs import start_run
from harvest_cli.workflow import job_argv, job_graph, load_template

ROOT = Path(__file__).resolve().parents[1]
STACK = "harvest"
REGION = "us-east-1"
# What a job's process inherits from here; everything else (PYTHONPATH, SPARK_HOME, AWS_PROFILE) is left behind.
INHERITED = ("PATH", "HOME", "USER", "LANG", "LC_ALL", "TMPDIR", "JAVA_HOME")


@dataclass
class GlueRun:
    """How an emulated workflow run went."""

    run_id: str
    logs: Path
    seconds: dict[str, float] = field(default_factory=dict)
    failed_stage: str | None = None
    tables: dict[str, str] = field(default_factory=dict)  # Glue Data Catalog table -> location


def _named(value, stack: str) -> str:
    """A resource name from the template (``!Sub "${AWS::StackName}-extract"``) for the given stack."""
    return value["Fn::Sub"].replace("${AWS::StackName}", stack) if isinstance(value, dict) else value


def glue_venv(glue_version: str) -> Path:
    """The emulation's virtual environment of one Glue version, kept apart from the others'."""
    return Path(f".venv-glue-{glue_version}")


def _database_name(template: dict) -> str:
    """The Glue database the stack creates (what ``!Ref HarvestDatabase`` gives the jobs on AWS)."""
    name = template["Resources"]["HarvestDatabase"]["Properties"]["DatabaseInput"]["Name"]
    return template["Parameters"][name["Ref"]]["Default"] if isinstance(name, dict) else name


def job_environment(python: Path, glue_endpoint: str) -> dict[str, str]:
    """A job process's environment: the Glue venv's Python, moto's endpoint and credentials, nothing of ours."""
    environment = {name: os.environ[name] for name in INHERITED if name in os.environ}
    environment["PATH"] = f"{python.parent}{os.pathsep}{environment.get('PATH', '/usr/bin:/bin')}"
    environment.update(
        PYSPARK_PYTHON=str(python),
        PYSPARK_DRIVER_PYTHON=str(python),
        SPARK_LOCAL_IP="127.0.0.1",
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION=REGION,
        # Glue calls go to moto; so does any other AWS call, which must never reach a real account from here.
        AWS_ENDPOINT_URL_GLUE=glue_endpoint,
        AWS_ENDPOINT_URL=glue_endpoint,
    )
    return environment


def _moto_glue(template: dict):
    """moto in server mode on 127.0.0.1 with the stack's workflow and database: (server, endpoint, glue client)."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    glue = boto3.client(
        "glue",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    workflow = template["Resources"]["HarvestWorkflow"]["Properties"]
    glue.create_workflow(
        Name=_named(workflow["Name"], STACK), DefaultRunProperties=workflow.get("DefaultRunProperties", {})
    )
    glue.create_database(DatabaseInput={"Name": _database_name(template)})
    return server, endpoint, glue


def glue_venv_class_data_options(python: Path, environment: dict[str, str]) -> str:
    """The JVM options that map the Glue venv's own class data archive (glue_jobs.class_data), made by one
    spark-submit the first time; empty when it cannot be had.

    The Glue venv's PySpark has jars of its own, at paths of its own, so the local driver's archive does
    not fit them. Its Python asks class_data, which then finds that venv's PySpark and folder, in the
    jobs' environment; the project is on its path for this question only, never for a job.
    """
    question = "from glue_jobs.class_data import driver_java_options; print(driver_java_options())"
    answer = subprocess.run(
        [str(python), "-c", question],
        env={**environment, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
    )
    return answer.stdout.strip() if answer.returncode == 0 else ""


def submit_command(
    python: Path, archive: Path, script: Path, arguments: list[str], java_options: str = ""
) -> list[str]:
    """The spark-submit of one job script: the pinned PySpark's, with the project archive in --py-files
    (``java_options``: more for the driver's JVM)."""
    log4j = ROOT / "glue_jobs" / "log4j2.properties"  # the emulated platform's logging, not the job's
    # Each job is a fresh JVM doing little work on the samples: the C1 compiler alone starts faster and
    # cut the run's CPU time by about a third. It changes how fast Spark runs, not what it does.
    # Quoted as runtime.local_spark quotes its own: the launcher splits the string as a shell does.
    platform_options = shlex.join([log4j_option(log4j), BRIEF_SESSION_JIT])
    return [
        str(python.parent / "spark-submit"),
        "--py-files",
        str(archive),
        "--driver-memory",
        "2g",
        "--driver-java-options",
        f"{platform_options} {java_options}".rstrip(),
        str(script),
        *arguments,
    ]


def glue_submit_run(
    lake: Path,
    dist: Path,
    venv: Path,
    work: Path,
    *,
    glue_version: str,
    force: bool = False,
    only_sources: str = "",
    on_progress=print,
) -> GlueRun:
    """Serve the samples and run the workflow's jobs, one spark-submit each, into ``lake`` (see the module doc)."""
    template = load_template()
    python = build_glue_venv(venv.resolve(), glue_version, template)
    archive = find_artifacts(dist)[0].resolve()
    lake, work = lake.resolve(), work.resolve()
    (work / "tmp").mkdir(parents=True, exist_ok=True)
    server, endpoint, glue = _moto_glue(template)
    try:
        workflow = _named(template["Resources"]["HarvestWorkflow"]["Properties"]["Name"], STACK)
        # Started as `harvest start` starts a run on AWS: the options travel as run properties.
        run = GlueRun(run_id=start_run(glue, workflow, only_sources, force), logs=work)
        local = {
            "glue-database": _database_name(template),
            "extra-py-files": str(archive),
            "TempDir": str(work / "tmp"),
        }
        environment = job_environment(python, endpoint)
        # A JVM start maps the classes it loads instead of reading them from the jars (a short spark-submit
        # in this venv: 7.8-9.8 s without, 5.0-5.6 s with), for one more spark-submit the first time.
        java_options = glue_venv_class_data_options(python, environment)
        # Glue stops a job after the stack's timeout too.
        timeout = int(template["Parameters"]["JobTimeoutMinutes"]["Default"]) * 60
        with serving_samples(str(lake)) as registry:
            steps = job_graph(template)
            for number, step in enumerate(steps, start=1):
                on_progress(f"[{number}/{len(steps)}] spark-submit {step.stage} ...")
                job_name = _named(template["Resources"][step.logical_id]["Properties"]["Name"], STACK)
                glue_arguments = {
                    "JOB_NAME": job_name,
                    "JOB_RUN_ID": f"jr_{uuid.uuid4().hex}",
                    "WORKFLOW_NAME": workflow,
                    "WORKFLOW_RUN_ID": run.run_id,
                    "lake": str(lake),
                    "sources": registry,
                    **local,
                }
                script = (dist / "jobs" / f"{step.stage}.py").resolve()
                command = submit_command(
                    python, archive, script, job_argv(step, glue_arguments)[1:], java_options
                )
                started, log_path = time.monotonic(), work / f"{step.stage}.log"
                with log_path.open("w", encoding="utf-8") as log:
                    code = subprocess.run(
                        command, cwd=work, env=environment, stdout=log, stderr=log, timeout=timeout
                    ).returncode
                run.seconds[step.stage] = time.monotonic() - started
                outcome = f"FAILED (exit {code}) after" if code else "done in"
                on_progress(f"[{number}/{len(steps)}] {step.stage} {outcome} {run.seconds[step.stage]:.1f} s")
                if code:
                    run.failed_stage = step.stage
                    on_progress("".join(log_path.read_text("utf-8").splitlines(keepends=True)[-40:]))
                    break
        tables = glue.get_tables(DatabaseName=_database_name(template))["TableList"]
        run.tables = {table["Name"]: table["StorageDescriptor"]["Location"] for table in tables}
        return run
    finally:
        server.stop()


def main(argv: list[str] | None = None) -> int:
    """Entry point (see the module doc); exit 1 when a job fails or the catalog differs from --compare's."""
    parser = argparse.ArgumentParser(
        prog="python -m devtools.glue_submit",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--lake", default="lake-glue", help="lake folder (default: ./lake-glue)")
    parser.add_argument("--dist", default="dist", help="what `make package` built (default: dist)")
    parser.add_argument(
        "--glue-version",
        choices=glue_versions(),
        default=default_glue_version(),
        help="the Glue version whose libraries the jobs get (default: the stack's GlueVersion default)",
    )
    parser.add_argument(
        "--venv", help="that Glue version's virtual environment (default: .venv-glue-<version>)"
    )
    parser.add_argument(
        "--work", default=".glue-submit", help="the jobs' working folder and logs (default: .glue-submit)"
    )
    parser.add_argument("--force", action="store_true", help="run property force=true")
    parser.add_argument(
        "--only-sources", default="", help="run property only_sources (comma-separated source ids)"
    )
    parser.add_argument(
        "--compare", metavar="LAKE", help="check that the published catalog equals this lake's"
    )
    args = parser.parse_args(argv)
    try:
        run = glue_submit_run(
            Path(args.lake),
            Path(args.dist),
            Path(args.venv or glue_venv(args.glue_version)),
            Path(args.work),
            glue_version=args.glue_version,
            force=args.force,
            only_sources=args.only_sources,
        )
    except OSError as error:
        print(
            port_problem(error) if error.errno == errno.EADDRINUSE else f"glue-submit: {error}",
            file=sys.stderr,
        )
        return 2
    except DeployError as error:
        print(f"glue-submit: {error}", file=sys.stderr)
        return 2
    print(
        f"workflow run {run.run_id}: {'FAILED at ' + run.failed_stage if run.failed_stage else 'succeeded'} "
        f"in {sum(run.seconds.values()):.1f} s; logs in {run.logs}"
    )
    for table, location in sorted(run.tables.items()):
        print(f"Glue table {table}: {location}")
    if run.failed_stage:
        return 1
    if args.compare:
        differences = catalog_difference(args.lake, args.compare)
        for line in differences:
            print(f"differs: {line}", file=sys.stderr)
        print(
            f"catalog {'differs from' if differences else 'equals'} {args.compare}'s "
            f"({len(published_records(args.lake))} records)"
        )
        return 1 if differences else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())

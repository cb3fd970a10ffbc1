"""Each job's IAM role, evaluated against the lake keys the job's code reads and writes.

The keys come from the project's own path functions (the lock, the manifest, the pointer, the
report...), so a path that moves moves here too. The template's resources are resolved to ARNs and
matched the way IAM matches them: "*" is any run of characters, "/" included, "?" one character;
an explicit Deny wins over any Allow. A statement with a Condition is never taken as matching an S3
key: none of the S3 statements has one, and the evaluator refuses to guess.
"""

import re
from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harvest_cli.aws_runs import format_status
from harvest_cli.workflow import load_template
from transforms import lake
from transforms.lake import catalog_history, run_history
from transforms.lake.catalog_state import pointer_uri, version_uri
from transforms.lake.lock import lock_uri
from transforms.lake.manifest import manifest_uri
from transforms.repeat_run import carry_uri, last_run_uri
from transforms.reports import history_html

# A shared machine's timings vary (the first example also loads the template): the property is what counts.
NO_DEADLINE = settings(deadline=None)
ROOT = "s3://lake-bucket"
RUN = "wr_0123456789abcdef"
PREVIOUS = "wr_fedcba9876543210"
PART = "part-00000-1b2c3d4e-c000.snappy.parquet"
STAGES = ["extract", "compare", "transform", "validate", "load"]
JOBS = {stage: f"{stage.capitalize()}Job" for stage in STAGES}
# What a template reference stands for in these tests.
NAMES = {
    "LakeBucketResource.Arn": "arn:aws:s3:::lake-bucket",
    "ArtifactsBucketResource.Arn": "arn:aws:s3:::artifacts-bucket",
    "LakeBucket": "lake-bucket",
    "ArtifactsBucket": "artifacts-bucket",
    "AWS::Partition": "aws",
    "AWS::Region": "us-east-1",
    "AWS::AccountId": "123456789012",
    "HarvestDatabase": "catalog_harvest",
    "DatabaseConnectionName": "catalog-db",
    "DatabaseSecretArn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:catalog-db-AbCdEf",
    "NotificationTopicArn": "arn:aws:sns:us-east-1:123456789012:harvest",
    "JobLogsKey.Arn": "arn:aws:kms:us-east-1:123456789012:key/0000",
    "AWS::StackName": "harvest",
}


def run_key(*parts: str, run_id: str = RUN) -> str:
    return lake.run_path(ROOT, run_id, *parts)


def marker(folder: str) -> str:
    """The folder marker an S3 connector may write beside a folder it creates."""
    return folder + "_$folder$"


# The lake keys each job writes (PutObject, and DeleteObject when it replaces or removes them).
WRITES = {
    "extract": [
        lock_uri(ROOT),
        manifest_uri(ROOT, RUN),
        carry_uri(ROOT, RUN),
        run_key("extract", "records", PART),
        run_key("extract", "sources", PART),
        marker(run_key("extract")),
    ],
    "compare": [
        run_key("compare", "changes", PART),
        run_key("compare", "sources", PART),
        marker(run_key("compare")),
    ],
    "transform": [run_key("transform", "records", PART), marker(run_key("transform"))],
    "validate": [
        run_key("validate", "records", PART),
        lake.duplicates_uri(ROOT, RUN),
        run_key("quality", "summary.json"),
        run_key("quality", "index.html"),
        marker(run_key("validate")),
    ],
    "load": [
        lock_uri(ROOT),
        pointer_uri(ROOT),
        lake.join(version_uri(ROOT, RUN), PART),
        catalog_history.history_uri(ROOT),
        last_run_uri(ROOT),
        lake.join(ROOT, "catalog", "harvest_times", RUN, PART),
        run_history.history_uri(ROOT),
        history_html.page_uri(ROOT),
        run_key("report", "report.json"),
        run_key("report", "errors", "a-source.csv"),
        run_key("report", "outcomes", PART),
        run_key("load", "db_results", PART),
        marker(lake.join(ROOT, "catalog")),
        marker(run_key("load")),
        marker(run_key("report")),
    ],
}
# Lake keys each job reads beyond the lock, its run's manifest and carry file, which all read.
READS = {
    "extract": [
        "s3://lake-bucket/config/sources.yaml",
        pointer_uri(ROOT),
        lake.join(version_uri(ROOT, PREVIOUS), PART),
        last_run_uri(ROOT),
        lake.join(ROOT, "catalog", "harvest_times", "LATEST"),
    ],
    "compare": [run_key("extract", "records", PART), lake.join(version_uri(ROOT, PREVIOUS), PART)],
    "transform": [run_key("compare", "changes", PART)],
    "validate": [
        run_key("transform", "records", PART),
        lake.join(version_uri(ROOT, PREVIOUS), PART),
        run_key("validate", "records", PART, run_id=PREVIOUS),
    ],
    "load": [
        run_key("validate", "records", PART),
        run_key("quality", "summary.json"),
        pointer_uri(ROOT),
        run_key("report", "report.json", run_id=PREVIOUS),
    ],
}
EVERY_JOB_READS = [lock_uri(ROOT), manifest_uri(ROOT, RUN), carry_uri(ROOT, RUN)]


def reference(name: str) -> str:
    """What a reference stands for: a name above, or a named resource's Name (its Ref, for Glue's resources)."""
    if name in NAMES:
        return NAMES[name]
    return resolve(template()["Resources"][name]["Properties"]["Name"])


def resolve(value) -> str:
    """A template value (a string, !Sub, !GetAtt or !Ref) as the text it stands for."""
    if isinstance(value, str):
        return value
    if "Fn::Sub" in value:
        return re.sub(r"\$\{([^}]+)\}", lambda match: reference(match.group(1)), value["Fn::Sub"])
    if "Fn::GetAtt" in value:
        return reference(".".join(value["Fn::GetAtt"]))
    return reference(value["Ref"])


def as_list(value) -> list:
    return value if isinstance(value, list) else [value]


@cache
def template() -> dict:
    return load_template()


def role_of(job_id: str) -> str:
    """The logical id of the role a job runs as."""
    (role, attribute) = template()["Resources"][job_id]["Properties"]["Role"]["Fn::GetAtt"]
    assert attribute == "Arn"
    return role


def role_statements(role: str) -> list[dict]:
    """Every statement that applies to a role: its inline policies and the policies attached to it."""
    resources = template()["Resources"]
    documents = [policy["PolicyDocument"] for policy in resources[role]["Properties"].get("Policies", [])]
    documents += [
        resource["Properties"]["PolicyDocument"]
        for resource in resources.values()
        if resource["Type"] == "AWS::IAM::Policy"
        and {"Ref": role} in as_list(resource["Properties"]["Roles"])
    ]
    return [statement for document in documents for statement in document["Statement"]]


def job_statements(stage: str) -> list[dict]:
    return role_statements(role_of(JOBS[stage]))


@cache
def iam_pattern(pattern: str) -> re.Pattern:
    """IAM's resource and action wildcards: "*" any run of characters ("/" too), "?" exactly one."""
    return re.compile("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern))


def matches(statement: dict, action: str, resource: str) -> bool:
    if not any(iam_pattern(name).fullmatch(action) for name in as_list(statement["Action"])):
        return False
    if not any(
        iam_pattern(resolve(pattern)).fullmatch(resource) for pattern in as_list(statement["Resource"])
    ):
        return False
    assert "Condition" not in statement, f"{statement['Sid']}: a conditional statement, not evaluated here"
    return True


def allowed_on(stage: str, action: str, arn: str) -> bool:
    """Whether the stage's role may do ``action`` on the resource ``arn``: an Allow matches, no Deny does."""
    statements = [s for s in job_statements(stage) if matches(s, action, arn)]
    return any(s["Effect"] == "Allow" for s in statements) and not any(
        s["Effect"] == "Deny" for s in statements
    )


def allowed(stage: str, action: str, uri: str) -> bool:
    """Whether the stage's role may do ``action`` on the lake object ``uri`` (an s3:// URI)."""
    return allowed_on(stage, action, "arn:aws:s3:::" + uri.removeprefix("s3://"))


def writers(uri: str) -> set[str]:
    return {
        stage
        for stage in STAGES
        if allowed(stage, "s3:PutObject", uri) or allowed(stage, "s3:DeleteObject", uri)
    }


@pytest.mark.parametrize("stage", STAGES)
def test_each_job_may_write_and_read_the_lake_keys_its_code_does(stage):
    cannot_write = [uri for uri in WRITES[stage] if not allowed(stage, "s3:PutObject", uri)]
    cannot_delete = [uri for uri in WRITES[stage] if not allowed(stage, "s3:DeleteObject", uri)]
    cannot_read = [uri for uri in READS[stage] + EVERY_JOB_READS if not allowed(stage, "s3:GetObject", uri)]
    assert (cannot_write, cannot_delete, cannot_read) == ([], [], [])


def test_every_lake_key_a_job_writes_is_written_by_that_job_alone():
    """The catalog, the pointer, the history and the report: load's; the lock: extract's and load's."""
    owners: dict[str, set[str]] = {}
    for stage, uris in WRITES.items():
        for uri in uris:
            owners.setdefault(uri, set()).add(stage)
    assert {uri: writers(uri) for uri in owners} == owners


RUN_FOLDERS = {
    "extract": "extract",
    "compare": "compare",
    "transform": "transform",
    "validate": "validate",
    "quality": "validate",
    "load": "load",
    "report": "load",
}
KEY_TEXT = st.text(st.sampled_from("abz09-_./$"), max_size=30)


@NO_DEADLINE
@given(suffix=KEY_TEXT)
def test_only_load_may_write_anything_under_catalog(suffix):
    assert writers(lake.join(ROOT, "catalog", suffix)) <= {"load"}
    assert writers(lake.join(ROOT, "catalog" + suffix)) <= {"load"}


@NO_DEADLINE
@given(
    folder=st.sampled_from(sorted(RUN_FOLDERS)), inner=KEY_TEXT, hidden=st.sampled_from(sorted(RUN_FOLDERS))
)
def test_a_run_folder_is_written_by_its_job_alone_even_under_another_stages_name(folder, inner, hidden):
    """runs/<run>/validate/…/extract/x matches extract's "runs/*/extract/*": the Deny must refuse it."""
    owner = RUN_FOLDERS[folder]
    assert writers(run_key(folder, inner, PART)) <= {owner}
    assert writers(run_key(folder, inner, hidden, PART)) <= {owner}
    assert writers(run_key(folder, inner, "manifest.json")) <= {owner}


def test_only_extract_reads_the_registry_and_no_job_writes_it():
    registry = resolve(template()["Resources"]["ExtractJob"]["Properties"]["DefaultArguments"]["--sources"])
    assert {stage for stage in STAGES if allowed(stage, "s3:GetObject", registry)} == {"extract"}
    assert writers(registry) == set()


def test_transform_reads_no_catalog():
    assert not allowed("transform", "s3:GetObject", pointer_uri(ROOT))
    assert not allowed("transform", "s3:GetObject", lake.join(version_uri(ROOT, PREVIOUS), PART))


def stages_granted(action: str) -> set[str]:
    """The jobs whose role has an Allow statement naming ``action`` (or a wildcard covering it)."""
    return {
        stage
        for stage in STAGES
        if any(
            s["Effect"] == "Allow"
            and any(iam_pattern(name).fullmatch(action) for name in as_list(s["Action"]))
            for s in job_statements(stage)
        )
    }


@pytest.mark.parametrize(
    ("action", "stages"),
    [
        ("secretsmanager:GetSecretValue", {"load"}),
        ("sns:Publish", {"load"}),
        ("glue:CreateTable", {"load"}),
        ("glue:GetConnection", {"load"}),
        ("ec2:CreateNetworkInterface", {"load"}),
        ("glue:GetWorkflowRunProperties", {"extract"}),
        ("glue:GetWorkflowRun", set(STAGES)),
    ],
)
def test_each_permission_belongs_to_the_jobs_that_use_it(action, stages):
    assert stages_granted(action) == stages


def test_one_role_per_job():
    roles = [role_of(JOBS[stage]) for stage in STAGES]
    assert len(set(roles)) == len(STAGES)


def test_network_permissions_go_only_to_the_jobs_with_a_connection():
    """Only load has a VPC connection (to the database); no other job's role may make interfaces."""
    resources = template()["Resources"]
    connected = {stage for stage in STAGES if "Connections" in resources[JOBS[stage]]["Properties"]}
    assert connected == {"load"}
    assert stages_granted("ec2:CreateNetworkInterface") == connected


def test_the_glue_tag_goes_on_an_interface_only_as_it_is_created():
    """Tagging an existing interface aws-glue-service-resource would make it deletable: not allowed."""
    for stage in STAGES:
        for statement in job_statements(stage):
            actions = as_list(statement["Action"])
            if statement["Effect"] != "Allow":
                continue
            assert not any(iam_pattern(name).fullmatch("ec2:DeleteTags") for name in actions), statement[
                "Sid"
            ]
            if any(iam_pattern(name).fullmatch("ec2:CreateTags") for name in actions):
                condition = statement.get("Condition", {}).get("StringEquals", {})
                assert condition.get("ec2:CreateAction") == "CreateNetworkInterface", statement["Sid"]


@pytest.mark.parametrize("stage", STAGES)
def test_each_job_may_write_its_encrypted_log_groups(stage):
    """With a security configuration Glue logs to /aws-glue/jobs-<role name>-<configuration>/output and /error."""
    configuration = resolve(template()["Resources"]["JobSecurityConfiguration"]["Properties"]["Name"])
    role_name = (
        f"harvest-{role_of(JOBS[stage])}-1A2B3C4D5E6F"  # CloudFormation names a role <stack>-<id>-<suffix>
    )
    prefix = "arn:aws:logs:us-east-1:123456789012:log-group:"
    for group in (
        f"/aws-glue/jobs-{role_name}-{configuration}/output",
        f"/aws-glue/jobs-{role_name}-{configuration}/error",
    ):
        assert allowed_on(stage, "logs:CreateLogGroup", prefix + group)
        assert allowed_on(stage, "logs:AssociateKmsKey", prefix + group)
        assert allowed_on(stage, "logs:PutLogEvents", f"{prefix}{group}:log-stream:jr_0123-driver")


def test_harvest_status_names_each_jobs_own_log_groups():
    """Glue names a job's log groups after its role, so with a role per job each job has its own."""
    status = {
        "workflow": "h-harvest",
        "run_id": "wr_1",
        "status": "COMPLETED",
        "statistics": {},
        "properties": {},
        "jobs": [
            {
                "job": "h-extract",
                "state": "SUCCEEDED",
                "seconds": 3,
                "error": "",
                "job_run_id": "jr_1",
                "log_group": "/aws-glue/jobs-h-ExtractRole-A-h-jobs/",
            },
            {
                "job": "h-compare",
                "state": "FAILED",
                "seconds": 2,
                "error": "",
                "job_run_id": "jr_2",
                "log_group": "/aws-glue/jobs-h-CompareRole-B-h-jobs/",
            },
        ],
        "report": "s3://lake/runs/wr_1/report/report.html",
        "data_docs": "s3://lake/runs/wr_1/quality/",
    }
    text = format_status(status)
    assert (
        "CloudWatch /aws-glue/jobs-h-ExtractRole-A-h-jobs/output and /aws-glue/jobs-h-ExtractRole-A-h-jobs/error, streams jr_1-driver"
        in text
    )
    assert (
        "CloudWatch /aws-glue/jobs-h-CompareRole-B-h-jobs/output and /aws-glue/jobs-h-CompareRole-B-h-jobs/error, streams jr_2-driver"
        in text
    )

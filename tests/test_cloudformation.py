"""The stack template: every job gets every job argument, the triggers form one chain, cfn-lint is clean."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from glue_jobs.arguments import JOB_ARGUMENTS
from harvest_cli.workflow import TEMPLATE, load_template

STAGES = ["extract", "compare", "transform", "validate", "load"]
JOB_IDS = ["ExtractJob", "CompareJob", "TransformJob", "ValidateJob", "LoadJob"]


@pytest.fixture(scope="module")
def template():
    return load_template()


def _resources(template, kind):
    return {name: r for name, r in template["Resources"].items() if r["Type"] == kind}


def test_every_job_has_every_job_argument(template):
    jobs = _resources(template, "AWS::Glue::Job")
    assert sorted(jobs) == sorted(JOB_IDS)
    for name, job in jobs.items():
        arguments = job["Properties"]["DefaultArguments"]
        missing = [f"--{arg}" for arg in JOB_ARGUMENTS if f"--{arg}" not in arguments]
        assert not missing, f"{name} lacks {missing}"


def test_job_scripts_glue_version_and_runtime_arguments(template):
    for logical_id, stage in zip(JOB_IDS, STAGES, strict=True):
        job = template["Resources"][logical_id]["Properties"]
        assert job["Command"]["Name"] == "glueetl"
        assert job["Command"]["ScriptLocation"]["Fn::Sub"].endswith(f"/jobs/{stage}.py")
        arguments = job["DefaultArguments"]
        assert arguments["--extra-py-files"]["Fn::Sub"].endswith("/python/${ProjectArchive}")
        assert arguments["--additional-python-modules"] == {"Ref": "AdditionalPythonModules"}
        assert arguments["--enable-continuous-cloudwatch-log"] == "true"
        assert arguments["--enable-metrics"] == "true"
        assert job["Timeout"] == {"Ref": "JobTimeoutMinutes"}
        assert job["WorkerType"] == {"Ref": f"{stage.capitalize()}WorkerType"}
        assert job["NumberOfWorkers"] == {"Ref": f"{stage.capitalize()}Workers"}
    # The version itself is one choice among the allowed ones (tests/test_glue_versions.py checks they agree).
    assert (
        template["Parameters"]["GlueVersion"]["Default"]
        in template["Parameters"]["GlueVersion"]["AllowedValues"]
    )


def test_every_trigger_points_at_real_jobs_and_the_chain_is_one_line(template):
    jobs = set(_resources(template, "AWS::Glue::Job"))
    triggers = _resources(template, "AWS::Glue::Trigger")
    following, starts = {}, []
    for name, trigger in triggers.items():
        properties = trigger["Properties"]
        assert properties["WorkflowName"] == {"Ref": "HarvestWorkflow"}, name
        targets = [action["JobName"]["Ref"] for action in properties["Actions"]]
        assert set(targets) <= jobs, f"{name} starts an unknown job"
        if properties["Type"] == "CONDITIONAL":
            (condition,) = properties["Predicate"]["Conditions"]
            assert condition["State"] == "SUCCEEDED" and condition["LogicalOperator"] == "EQUALS"
            assert condition["JobName"]["Ref"] in jobs, f"{name} waits for an unknown job"
            (following[condition["JobName"]["Ref"]],) = targets
        else:
            assert properties["Type"] == "SCHEDULED" and name == "ScheduledStartTrigger"
            starts += targets
    chain = list(starts)
    while chain[-1] in following:
        chain.append(following[chain[-1]])
    assert chain == JOB_IDS
    assert len(following) == len(JOB_IDS) - 1


def test_every_parameter_is_described(template):
    undescribed = [name for name, p in template["Parameters"].items() if not p.get("Description")]
    assert not undescribed


def test_optional_integrations_are_conditional(template):
    resources = template["Resources"]
    assert resources["DatabaseSecretPolicy"]["Condition"] == "HasDatabaseSecret"
    assert resources["NotificationPolicy"]["Condition"] == "HasNotificationTopic"
    assert resources["DatabaseConnectionPolicy"]["Condition"] == "HasDatabaseConnection"
    for name in ("DatabaseSecretArn", "NotificationTopicArn", "DatabaseConnectionName"):
        assert template["Parameters"][name]["Default"] == ""


def test_roles_have_no_managed_or_full_access_policies(template):
    for role in _resources(template, "AWS::IAM::Role").values():
        assert "ManagedPolicyArns" not in role["Properties"]
    assert "FullAccess" not in TEMPLATE.read_text("utf-8")
    star = sorted(s["Sid"] for s in _statements(template) if s["Resource"] == "*")
    # PutMetricData has no resources (it is scoped by namespace instead), nor have EC2's Describe actions.
    assert star == ["DescribeConnectionNetwork", "JobMetrics"]


def test_buckets_are_encrypted_private_and_tls_only(template):
    buckets = _resources(template, "AWS::S3::Bucket")
    assert {"LakeBucketResource", "ArtifactsBucketResource"} <= set(buckets)
    for name, bucket in buckets.items():
        properties = bucket["Properties"]
        assert properties["BucketEncryption"]["ServerSideEncryptionConfiguration"], name
        assert all(properties["PublicAccessBlockConfiguration"].values()), name
    assert buckets["LakeBucketResource"]["Properties"]["VersioningConfiguration"] == {"Status": "Enabled"}
    policies = _resources(template, "AWS::S3::BucketPolicy")
    covered = {
        p["Properties"]["Bucket"]["Ref"]
        for p in policies.values()
        if any(
            s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
            for s in p["Properties"]["PolicyDocument"]["Statement"]
        )
    }
    assert covered == set(buckets)


def test_cfn_lint_is_clean():
    cfn_lint = Path(sys.executable).with_name("cfn-lint")
    if not cfn_lint.exists() and not shutil.which("cfn-lint"):
        pytest.skip("cfn-lint is not installed in this environment")
    result = subprocess.run(
        [str(cfn_lint) if cfn_lint.exists() else "cfn-lint", str(TEMPLATE)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_glue_installs_exactly_the_pinned_runtime_libraries():
    """What the jobs import beyond Glue's own stack is installed at job start, at the local pins."""
    from devtools.glue_python import GLUE_PROVIDED, additional_python_modules

    lines = Path(__file__).resolve().parents[1].joinpath("requirements.txt").read_text().splitlines()
    pinned = {line.strip() for line in lines if line.strip() and not line.startswith("#")}
    runtime = {spec for spec in pinned if spec.split("[")[0].split("==")[0].lower() not in GLUE_PROVIDED}
    assert set(additional_python_modules()) == runtime


def test_one_workflow_run_at_a_time(template):
    assert template["Resources"]["HarvestWorkflow"]["Properties"]["MaxConcurrentRuns"] == 1


def _statements(template):
    """Every statement of every job role: the roles' inline policies and the policies attached to them."""
    documents = [
        policy["PolicyDocument"]
        for role in _resources(template, "AWS::IAM::Role").values()
        for policy in role["Properties"].get("Policies", [])
    ]
    documents += [
        p["Properties"]["PolicyDocument"] for p in _resources(template, "AWS::IAM::Policy").values()
    ]
    return [statement for document in documents for statement in document["Statement"]]


def _as_list(value):
    return value if isinstance(value, list) else [value]


def test_the_jobs_cannot_rewrite_the_source_registry(template):
    statements = _statements(template)
    writes = [
        resource["Fn::Sub"] if isinstance(resource, dict) else resource
        for s in statements
        if s["Effect"] == "Allow" and {"s3:PutObject", "s3:DeleteObject"} & set(_as_list(s["Action"]))
        for resource in _as_list(s["Resource"])
        if "LakeBucketResource" in str(resource)
    ]
    whole_lake_or_registry = ("${LakeBucketResource.Arn}/*", "${LakeBucketResource.Arn}/config/*")
    assert writes and not any(resource in whole_lake_or_registry for resource in writes)
    (deny,) = [s for s in statements if s["Effect"] == "Deny" and s["Sid"] == "RegistryIsReadOnly"]
    assert deny["Resource"] == {"Fn::Sub": "${LakeBucketResource.Arn}/config/*"}
    assert set(deny["Action"]) == {"s3:PutObject", "s3:DeleteObject"}
    registry = template["Resources"]["ExtractJob"]["Properties"]["DefaultArguments"]["--sources"]
    assert registry == {"Fn::Sub": "s3://${LakeBucket}/config/sources.yaml"}


def test_network_interfaces_may_be_deleted_only_when_glue_made_them(template):
    deleting = [s for s in _statements(template) if "ec2:DeleteNetworkInterface" in _as_list(s["Action"])]
    assert len(deleting) == 1
    assert deleting[0]["Condition"] == {"Null": {"ec2:ResourceTag/aws-glue-service-resource": "false"}}

"""The stack template: every job gets every job argument, the triggers form one chain, cfn-lint is clean."""

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from glue_jobs.arguments import JOB_ARGUMENTS
from harvest_cli.workflow import TEMPLATE, load_template
from transforms.publish import run_alerts, run_metrics

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
    assert star == ["DescribeConnectionNetwork", "JobMetrics", "RunMetrics"]


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


ALERT_RESOURCES = [
    "RunAlertsDeadLetterQueue",
    "RunAlertsLogGroup",
    "RunAlertsRole",
    "RunAlertsFunction",
    "RunAlertsRule",
    "RunAlertsInvokePermission",
    "AlertsFailingAlarm",
]


def test_the_alert_rule_takes_every_bad_end_of_the_five_jobs_to_the_function(template):
    resources = template["Resources"]
    rule = resources["RunAlertsRule"]["Properties"]
    pattern = rule["EventPattern"]
    assert pattern["source"] == [run_alerts.EVENT_SOURCE]
    assert pattern["detail-type"] == [run_alerts.EVENT_DETAIL_TYPE]
    assert [ref["Ref"] for ref in pattern["detail"]["jobName"]] == JOB_IDS
    assert pattern["detail"]["state"] == list(run_alerts.ALERTED_STATES)
    assert set(pattern) == {"source", "detail-type", "detail"}
    (target,) = rule["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": ["RunAlertsFunction", "Arn"]}
    permission = resources["RunAlertsInvokePermission"]["Properties"]
    assert permission["Principal"] == "events.amazonaws.com"
    assert permission["SourceArn"] == {"Fn::GetAtt": ["RunAlertsRule", "Arn"]}


def test_the_function_loads_the_handler_from_the_project_archive(template):
    function = template["Resources"]["RunAlertsFunction"]["Properties"]
    loader = function["Code"]["ZipFile"]
    assert "from transforms.publish.run_alerts import handle_glue_event" in loader
    assert callable(run_alerts.handle_glue_event)
    variables = function["Environment"]["Variables"]
    assert {run_alerts.TOPIC_VARIABLE, run_alerts.LAKE_VARIABLE} <= set(variables)
    assert variables["PROJECT_ARCHIVE_KEY"] == {"Fn::Sub": "python/${ProjectArchive}"}
    assert variables[run_alerts.LAKE_VARIABLE] == {"Fn::Sub": "s3://${LakeBucket}"}
    assert function["Runtime"] == "python3.11"  # Glue 5.0's Python, which the archive is built for
    assert function["DeadLetterConfig"]["TargetArn"] == {"Fn::GetAtt": ["RunAlertsDeadLetterQueue", "Arn"]}


def test_alert_resources_exist_only_with_a_topic(template):
    resources = template["Resources"]
    for name in ALERT_RESOURCES:
        assert resources[name]["Condition"] == "HasNotificationTopic", name
    # The overdue alarm, the metrics' permission and the dashboard are useful without a topic.
    for name in ("RunOverdueAlarm", "RunMetricsPolicy", "HarvestDashboard"):
        assert "Condition" not in resources[name], name


def test_the_alert_function_may_read_only_the_failed_job_runs_of_this_stack(template):
    (policy,) = template["Resources"]["RunAlertsRole"]["Properties"]["Policies"]
    statements = {s["Sid"]: s for s in policy["PolicyDocument"]["Statement"]}
    jobs = [resource["Fn::Sub"].rsplit("/", 1)[1] for resource in statements["ReadFailedJobRuns"]["Resource"]]
    assert jobs == [f"${{{job}}}" for job in JOB_IDS]
    assert statements["ReadFailedJobRuns"]["Action"] == "glue:GetJobRun"
    assert statements["PublishAlerts"]["Resource"] == {"Ref": "NotificationTopicArn"}
    assert statements["ReadProjectArchive"]["Resource"] == {
        "Fn::Sub": "${ArtifactsBucketResource.Arn}/python/*"
    }


def test_the_overdue_alarm_watches_load_s_completed_runs_and_counts_silence_as_overdue(template):
    alarm = template["Resources"]["RunOverdueAlarm"]["Properties"]
    assert (alarm["Namespace"], alarm["MetricName"]) == (run_metrics.NAMESPACE, run_metrics.RUNS_COMPLETED)
    assert alarm["Dimensions"] == [{"Name": run_metrics.DIMENSION, "Value": {"Ref": "HarvestWorkflow"}}]
    assert alarm["TreatMissingData"] == "breaching"
    assert alarm["EvaluationPeriods"] == alarm["DatapointsToAlarm"] == {"Ref": "RunOverdueHours"}
    hours = template["Parameters"]["RunOverdueHours"]
    # CloudWatch evaluates at most 7 days of hourly periods.
    assert alarm["Period"] == 3600 and hours["MaxValue"] * alarm["Period"] <= 7 * 86400
    assert (alarm["ComparisonOperator"], alarm["Threshold"], alarm["Statistic"]) == (
        "LessThanThreshold",
        1,
        "Sum",
    )


def test_the_dashboard_shows_the_metrics_load_puts(template):
    body = template["Resources"]["HarvestDashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]
    references = set(re.findall(r"\$\{([^}]+)\}", body))
    assert references <= {
        "AWS::Partition",
        "AWS::Region",
        "AWS::AccountId",
        "AWS::StackName",
        "HarvestWorkflow",
        "LakeBucket",
        "RunOverdueAlarm",
    }
    widgets = json.loads(re.sub(r"\$\{[^}]+\}", "x", body))["widgets"]
    shown = [metric for widget in widgets for metric in widget["properties"].get("metrics", [])]
    runs = [m for m in shown if m[0] == run_metrics.NAMESPACE]
    assert runs and all(m[2] == run_metrics.DIMENSION for m in runs)
    assert {m[1] for m in runs} == set(run_metrics.METRIC_NAMES)
    # Bad ends are counted by the alerts the function sent (it is named after the stack).
    function = template["Resources"]["RunAlertsFunction"]["Properties"]["FunctionName"]["Fn::Sub"]
    assert [m for m in shown if m not in runs] == [
        ["AWS/Lambda", "Invocations", "FunctionName", "x-run-alerts"]
    ]
    assert function == "${AWS::StackName}-run-alerts" and f'"{function}"' in body

"""Glue Data Catalog tables for Athena, against moto."""

import boto3
import pytest
from pyspark.sql.types import (
    ArrayType,
    DecimalType,
    IntegerType,
    MapType,
    StringType,
    StructField,
    StructType,
    TimestampType,
)

from transforms import lake
from transforms.lake.catalog_state import switch_pointer
from transforms.publish.glue_catalog import hive_type, register_tables

LAKE = "s3://harvest-lake/prod"
REGION = "us-east-1"


@pytest.fixture
def aws(aws):
    """conftest's moto AWS, with the lake's bucket and the harvest database; here it is the Glue client."""
    boto3.client("s3", region_name=REGION).create_bucket(Bucket="harvest-lake")
    glue = boto3.client("glue", region_name=REGION)
    glue.create_database(DatabaseInput={"Name": "harvest"})
    return glue


def publish(version: str, previous: str | None = None) -> None:
    """A complete catalog version (its marker; Glue only needs the folder) made current."""
    marker = f'{{"version": "{version}", "run_id": "{version}", "written": "2026-01-01T00:00:00"}}'
    lake.write_text(f"{LAKE}/catalog/versions/{version}/VERSION.json", marker)
    switch_pointer(LAKE, version, previous)


def test_spark_types_map_to_hive_types():
    assert hive_type(StringType()) == "string"
    assert hive_type(TimestampType()) == "timestamp"
    assert hive_type(ArrayType(StringType())) == "array<string>"
    assert hive_type(MapType(StringType(), IntegerType())) == "map<string,int>"
    assert hive_type(DecimalType(10, 2)) == "decimal(10,2)"
    nested = StructType([StructField("url", StringType()), StructField("tags", ArrayType(StringType()))])
    assert hive_type(ArrayType(nested)) == "array<struct<url:string,tags:array<string>>>"


def test_catalog_table_and_run_partition_are_registered(aws):
    publish("run-1")
    assert register_tables(aws, "harvest", LAKE, "run-1") == ["catalog_records", "outcomes"]

    records = aws.get_table(DatabaseName="harvest", Name="catalog_records")["Table"]
    descriptor = records["StorageDescriptor"]
    assert descriptor["Location"] == f"{LAKE}/catalog/versions/run-1/records/"
    assert descriptor["SerdeInfo"]["SerializationLibrary"].endswith("ParquetHiveSerDe")
    columns = {column["Name"]: column["Type"] for column in descriptor["Columns"]}
    assert columns["source_id"] == "string" and columns["slug"] == "string"
    assert columns["first_harvested"] == "timestamp" and columns["last_harvested"] == "timestamp"
    assert columns["record_type"] == "string" and columns["dcat_version"] == "string"
    assert columns["warnings"] == "array<string>"
    assert len(columns) == 16

    outcomes = aws.get_table(DatabaseName="harvest", Name="outcomes")["Table"]
    assert outcomes["PartitionKeys"] == [{"Name": "run_id", "Type": "string"}]
    types = {column["Name"]: column["Type"] for column in outcomes["StorageDescriptor"]["Columns"]}
    assert types == {
        "source_id": "string",
        "identifier": "string",
        "record_url": "string",
        "action": "string",
        "outcome": "string",
        "reasons": "array<string>",
        "warnings": "array<string>",
        "record_type": "string",
        "dcat_version": "string",
    }
    partition = aws.get_partition(DatabaseName="harvest", TableName="outcomes", PartitionValues=["run-1"])[
        "Partition"
    ]
    assert partition["StorageDescriptor"]["Location"] == f"{LAKE}/runs/run-1/report/outcomes/"


def test_a_later_run_moves_the_catalog_table_and_adds_its_partition(aws):
    publish("run-1")
    register_tables(aws, "harvest", LAKE, "run-1")
    publish("run-2", "run-1")
    register_tables(aws, "harvest", LAKE, "run-2")
    register_tables(aws, "harvest", LAKE, "run-2")  # a retried load changes nothing

    records = aws.get_table(DatabaseName="harvest", Name="catalog_records")["Table"]
    assert records["StorageDescriptor"]["Location"] == f"{LAKE}/catalog/versions/run-2/records/"
    partitions = aws.get_partitions(DatabaseName="harvest", TableName="outcomes")["Partitions"]
    assert sorted(p["Values"][0] for p in partitions) == ["run-1", "run-2"]


def test_before_any_catalog_version_only_the_outcomes_are_registered(aws, tmp_path):
    assert register_tables(aws, "harvest", str(tmp_path), "run-0") == ["outcomes"]
    partition = aws.get_partition(DatabaseName="harvest", TableName="outcomes", PartitionValues=["run-0"])[
        "Partition"
    ]
    assert partition["StorageDescriptor"]["Location"] == f"{tmp_path}/runs/run-0/report/outcomes/"

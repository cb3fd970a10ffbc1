"""Tables in the AWS Glue Data Catalog, so the lake can be queried with Athena.

* ``catalog_records``: the current catalog version (its location moves with each new version);
* ``outcomes``: every run's outcome table, one partition per run (``run_id``) whose location is
  ``runs/<run_id>/report/outcomes``, so all runs are one table.

Columns come from the StructTypes in ``transforms.schemas``; nothing is written twice.
The Glue database itself belongs to the CloudFormation stack.
"""

import logging

from pyspark.sql.types import (
    ArrayType,
    BinaryType,
    BooleanType,
    ByteType,
    DataType,
    DateType,
    DecimalType,
    DoubleType,
    FloatType,
    IntegerType,
    LongType,
    MapType,
    ShortType,
    StringType,
    StructType,
    TimestampNTZType,
    TimestampType,
)

from transforms.lake import join, run_path, spark_uri
from transforms.lake.catalog_state import current_version, version_uri
from transforms.schemas import CATALOG_STATE, OUTCOMES

log = logging.getLogger(__name__)

CATALOG_TABLE = "catalog_records"
OUTCOMES_TABLE = "outcomes"
PARQUET = {
    "InputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
    "OutputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
    "SerdeInfo": {"SerializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"},
}
SIMPLE_TYPES = {
    StringType: "string",
    LongType: "bigint",
    IntegerType: "int",
    ShortType: "smallint",
    ByteType: "tinyint",
    BooleanType: "boolean",
    DoubleType: "double",
    FloatType: "float",
    DateType: "date",
    BinaryType: "binary",
    TimestampType: "timestamp",
    TimestampNTZType: "timestamp",
}


def hive_type(data_type: DataType) -> str:
    """The Glue/Hive type name of a Spark type (nested types included)."""
    if isinstance(data_type, ArrayType):
        return f"array<{hive_type(data_type.elementType)}>"
    if isinstance(data_type, MapType):
        return f"map<{hive_type(data_type.keyType)},{hive_type(data_type.valueType)}>"
    if isinstance(data_type, StructType):
        return (
            "struct<"
            + ",".join(f"{field.name}:{hive_type(field.dataType)}" for field in data_type.fields)
            + ">"
        )
    if isinstance(data_type, DecimalType):
        return f"decimal({data_type.precision},{data_type.scale})"
    if type(data_type) in SIMPLE_TYPES:
        return SIMPLE_TYPES[type(data_type)]
    raise ValueError(f"no Glue type for Spark type {data_type.simpleString()}")


def glue_columns(schema: StructType) -> list[dict]:
    """Glue column definitions for a StructType."""
    return [{"Name": field.name, "Type": hive_type(field.dataType)} for field in schema.fields]


def _folder(uri: str) -> str:
    """A table location: s3:// as is (Athena reads it), a local folder as an absolute path."""
    return spark_uri(uri).rstrip("/") + "/"


def _table_input(name: str, schema: StructType, location: str, description: str, partition_keys=()) -> dict:
    return {
        "Name": name,
        "Description": description,
        "TableType": "EXTERNAL_TABLE",
        "Parameters": {"classification": "parquet", "EXTERNAL": "TRUE"},
        "PartitionKeys": [{"Name": key, "Type": "string"} for key in partition_keys],
        "StorageDescriptor": {"Columns": glue_columns(schema), "Location": location, **PARQUET},
    }


def _put_table(glue, database: str, table_input: dict) -> None:
    try:
        glue.create_table(DatabaseName=database, TableInput=table_input)
    except glue.exceptions.AlreadyExistsException:
        glue.update_table(DatabaseName=database, TableInput=table_input)


def _put_partition(glue, database: str, table: str, value: str, schema: StructType, location: str) -> None:
    partition = {
        "Values": [value],
        "StorageDescriptor": {"Columns": glue_columns(schema), "Location": location, **PARQUET},
    }
    try:
        glue.create_partition(DatabaseName=database, TableName=table, PartitionInput=partition)
    except glue.exceptions.AlreadyExistsException:
        glue.update_partition(
            DatabaseName=database, TableName=table, PartitionValueList=[value], PartitionInput=partition
        )


def register_tables(glue, database: str, lake: str, run_id: str) -> list[str]:
    """Create or refresh the catalog table and the run's outcomes partition; returns the table names."""
    tables = []
    version = current_version(lake)
    if version:  # before the first load there is no catalog version to point at
        description = f"Published catalog records (catalog version {version})"
        _put_table(
            glue,
            database,
            _table_input(CATALOG_TABLE, CATALOG_STATE, _folder(version_uri(lake, version)), description),
        )
        tables.append(CATALOG_TABLE)
    description = "The outcome of every record of every harvest run (partition run_id)"
    _put_table(
        glue,
        database,
        _table_input(
            OUTCOMES_TABLE, OUTCOMES, _folder(join(lake, "runs")), description, partition_keys=["run_id"]
        ),
    )
    _put_partition(
        glue,
        database,
        OUTCOMES_TABLE,
        run_id,
        OUTCOMES,
        _folder(run_path(lake, run_id, "report", "outcomes")),
    )
    tables.append(OUTCOMES_TABLE)
    log.info("Glue database %s: %s registered (run %s)", database, ", ".join(tables), run_id)
    return tables

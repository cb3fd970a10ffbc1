"""Load stage and its sinks: the next catalog version, PostgreSQL, the Glue Data Catalog, SNS."""

"""Load stage and its sinks: the next catalog version, the lake's catalog state, PostgreSQL, Glue Data Catalog,
the run report and the SNS summary."""

"""Validate stage: records against the DCAT-US JSON Schemas, batches against the GE suites, and the hold decision."""

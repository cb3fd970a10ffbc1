-- `harvest reconcile` compares every column load writes, so the lake's records are staged with all of them:
-- the source's organization and title (from the registry of the run that wrote the version), the record's
-- DCAT-US version and class.
ALTER TABLE catalog.lake_snapshot
    ADD COLUMN organization text,
    ADD COLUMN source_title text,
    ADD COLUMN dcat_version text,
    ADD COLUMN record_type  text;

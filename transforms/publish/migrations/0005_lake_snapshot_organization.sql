-- `harvest reconcile` compares every dataset column load writes, the organization included, so a lake record
-- is staged with its source's organization as the registry of the run that wrote the version names it.
-- (0004_datagov_schema added the record's class; the dataset's source, type and spatial shape derive from
-- the staged columns.)
ALTER TABLE catalog.lake_snapshot ADD COLUMN IF NOT EXISTS organization text;

-- A database that ran the 0004_lake_snapshot_owned_columns of branch secrets-reconcile (written for the old
-- catalog.dataset, never released with H2.0's tables) also got these: nothing stages them any more.
ALTER TABLE catalog.lake_snapshot DROP COLUMN IF EXISTS source_title, DROP COLUMN IF EXISTS dcat_version;
DELETE FROM catalog.schema_migrations WHERE version = '0004_lake_snapshot_owned_columns';

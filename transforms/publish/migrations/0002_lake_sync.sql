-- Which catalog version of which lake the dataset table reflects, so a load (or `harvest reconcile`) can
-- tell when a crash left the database and the lake apart. One row. state 'applying': a load is changing
-- the table toward `version`; 'synced': the table matches lake version `version` (NULL: the empty catalog).
CREATE TABLE catalog.lake_sync (
    singleton  boolean     PRIMARY KEY DEFAULT true CHECK (singleton),
    lake       text        NOT NULL,
    state      text        NOT NULL CHECK (state IN ('applying', 'synced')),
    version    text,
    run_id     text,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- The lake's records as `harvest reconcile` stages them to compare with catalog.dataset (rows of one
-- reconciliation share a snapshot_id and are deleted when it ends). Unlogged: a crash loses nothing of value.
CREATE UNLOGGED TABLE catalog.lake_snapshot (
    snapshot_id     text NOT NULL,
    source_id       text NOT NULL,
    identifier      text NOT NULL,
    slug            text,
    content_hash    text,
    dcat_json       text,
    record_url      text,
    first_harvested text,
    last_harvested  text,
    last_run_id     text
);
CREATE INDEX lake_snapshot_key ON catalog.lake_snapshot (snapshot_id, source_id, identifier);

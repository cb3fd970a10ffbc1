-- The published datasets, one row per (harvest source, identifier), as the catalog site reads them.
-- Mirrors data.gov's harvester table: slug, DCAT-US JSON, organization, harvest source and record,
-- last harvested date.
CREATE TABLE catalog.dataset (
    source_id       text        NOT NULL,  -- the harvest source (registry id)
    identifier      text        NOT NULL,  -- the dataset identifier within its source
    slug            text        NOT NULL,  -- /dataset/<slug>
    title           text,
    organization    text,
    source_title    text,
    record_url      text,                  -- the harvest record: where the metadata was fetched from
    content_hash    text        NOT NULL,  -- what the lake's catalog state holds, to compare both
    dcat            jsonb       NOT NULL,  -- the DCAT-US 1.1 dataset
    first_harvested timestamptz NOT NULL DEFAULT now(),
    last_harvested  timestamptz NOT NULL DEFAULT now(),
    last_run_id     text        NOT NULL,
    PRIMARY KEY (source_id, identifier),
    CONSTRAINT dataset_slug_unique UNIQUE (slug),
    CONSTRAINT dataset_slug_format CHECK (slug ~ '^[a-z0-9][a-z0-9-]{0,99}$')
);

CREATE INDEX dataset_organization ON catalog.dataset (organization);
CREATE INDEX dataset_last_harvested ON catalog.dataset (last_harvested);

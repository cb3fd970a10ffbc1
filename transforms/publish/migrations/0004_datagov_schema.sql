-- data.gov's harvest database: the tables data.gov's harvester (GSA/datagov-harvester, "H2.0") writes and its
-- catalog site (GSA/datagov-catalog) reads, in schema public, with the names, columns, types, constraints,
-- enums and indexes of H2.0's Alembic head d4f6a8c0e2b3 (2026-08-21). Written from reading that history,
-- not copied from it. docs/DATABASE.md says what each table holds when this project writes it.
--
-- The catalog schema keeps this project's own bookkeeping (schema_migrations, lake_sync, lake_snapshot,
-- source_key); catalog.dataset, the table loads wrote before, becomes a read-only view over these tables,
-- and its rows move into them here.

CREATE TYPE public.organization_type_enum AS ENUM (
    'Federal Government', 'City Government', 'State Government', 'County Government', 'University', 'Tribal',
    'Non-Profit');
CREATE TYPE public.frequency AS ENUM ('manual', 'daily', 'weekly', 'biweekly', 'monthly');
CREATE TYPE public.schema_type AS ENUM (
    'iso19115_1', 'iso19115_2', 'dcatus1.1: federal', 'dcatus1.1: non-federal', 'dcatus3.0');
CREATE TYPE public.source_type AS ENUM ('document', 'waf', 'waf-collection');
CREATE TYPE public.notification_frequency AS ENUM ('on_error', 'always', 'on_error_or_update');
CREATE TYPE public.job_status AS ENUM ('in_progress', 'complete', 'new', 'error');
CREATE TYPE public.record_action AS ENUM ('create', 'update', 'delete');
CREATE TYPE public.record_status AS ENUM ('error', 'success', 'dataset_pending');
CREATE TYPE public.record_type AS ENUM ('dataset', 'data_service', 'catalog_record', 'data_series');
CREATE TYPE public.error_severity AS ENUM ('error', 'warning');

CREATE TABLE public.organization (
    name              varchar      NOT NULL,
    logo              varchar,
    id                varchar(36)  NOT NULL PRIMARY KEY,
    organization_type public.organization_type_enum,
    description       text,
    slug              varchar(100) NOT NULL,
    aliases           varchar[],
    code_repo_url     varchar,
    code_repo_exempt  boolean      NOT NULL DEFAULT false,
    CONSTRAINT uq_organization_slug UNIQUE (slug)
);
CREATE INDEX ix_organization_name ON public.organization (name);

CREATE TABLE public.harvest_source (
    organization_id        varchar(36) NOT NULL
        CONSTRAINT harvest_source_organization_id_fkey REFERENCES public.organization (id) ON DELETE CASCADE,
    name                   varchar     NOT NULL,
    url                    varchar     NOT NULL CONSTRAINT harvest_source_url_key UNIQUE,
    notification_emails    varchar[],
    frequency              public.frequency              NOT NULL,
    schema_type            public.schema_type            NOT NULL,
    source_type            public.source_type            NOT NULL,
    notification_frequency public.notification_frequency NOT NULL,
    id                     varchar(36) NOT NULL PRIMARY KEY,
    collection_parent_url  varchar,
    CONSTRAINT wafcollectionparenturl CHECK (
        (collection_parent_url IS NULL AND source_type <> 'waf-collection')
        OR (collection_parent_url IS NOT NULL AND source_type = 'waf-collection'))
);
CREATE INDEX ix_harvest_source_frequency ON public.harvest_source (frequency);
CREATE INDEX ix_harvest_source_organization_id ON public.harvest_source (organization_id);

CREATE TABLE public.harvest_job (
    harvest_source_id varchar(36) NOT NULL
        CONSTRAINT harvest_job_harvest_source_id_fkey REFERENCES public.harvest_source (id) ON DELETE CASCADE,
    status            public.job_status NOT NULL,
    job_type          varchar(20),
    date_created      timestamp,
    date_finished     timestamp,
    records_total     integer,
    records_added     integer,
    records_updated   integer,
    records_deleted   integer,
    records_errored   integer,
    records_ignored   integer,
    records_validated integer,
    id                varchar(36) NOT NULL PRIMARY KEY,
    records_warned    integer DEFAULT 0,
    dcatus_catalog    jsonb
);
CREATE INDEX ix_harvest_job_date_created ON public.harvest_job (date_created);
CREATE INDEX ix_harvest_job_status ON public.harvest_job (status);
CREATE INDEX ix_harvest_job_harvest_source_id ON public.harvest_job (harvest_source_id);

CREATE TABLE public.harvest_job_error (
    harvest_job_id varchar(36) NOT NULL
        CONSTRAINT harvest_job_error_harvest_job_id_fkey REFERENCES public.harvest_job (id) ON DELETE CASCADE,
    date_created   timestamp,
    type           varchar,
    message        varchar,
    id             varchar(36) NOT NULL PRIMARY KEY
);
CREATE INDEX ix_harvest_job_error_harvest_job_id ON public.harvest_job_error (harvest_job_id);

CREATE TABLE public.harvest_record (
    identifier        varchar     NOT NULL,
    harvest_job_id    varchar(36) NOT NULL
        CONSTRAINT harvest_record_harvest_job_id_fkey REFERENCES public.harvest_job (id) ON DELETE CASCADE,
    harvest_source_id varchar(36) NOT NULL
        CONSTRAINT harvest_record_harvest_source_id_fkey REFERENCES public.harvest_source (id) ON DELETE CASCADE,
    source_hash       varchar,
    source_raw        varchar,
    date_created      timestamp,
    date_finished     timestamp,
    ckan_id           varchar,
    action            public.record_action,
    status            public.record_status,
    id                varchar(36) NOT NULL PRIMARY KEY,
    parent_identifier varchar,
    source_transform  jsonb,
    record_type       public.record_type NOT NULL DEFAULT 'dataset'
);
CREATE INDEX ix_harvest_record_action ON public.harvest_record (action);
CREATE INDEX ix_harvest_record_ckan_id ON public.harvest_record (ckan_id);
CREATE INDEX ix_harvest_record_date_created ON public.harvest_record (date_created);
CREATE INDEX ix_harvest_record_date_finished ON public.harvest_record (date_finished);
CREATE INDEX ix_harvest_record_status ON public.harvest_record (status);
CREATE INDEX ix_harvest_record_harvest_job_id ON public.harvest_record (harvest_job_id);
CREATE INDEX ix_harvest_record_record_type ON public.harvest_record (record_type);
CREATE INDEX ix_harvest_record_source_type_identifier_created_success
    ON public.harvest_record (harvest_source_id, record_type, identifier, date_created DESC)
    INCLUDE (action) WHERE status = 'success';

CREATE TABLE public.harvest_record_error (
    harvest_record_id varchar
        CONSTRAINT harvest_record_error_harvest_record_id_fkey REFERENCES public.harvest_record (id) ON DELETE SET NULL,
    harvest_job_id    varchar(36) NOT NULL
        CONSTRAINT harvest_record_error_harvest_job_id_fkey REFERENCES public.harvest_job (id) ON DELETE CASCADE,
    date_created      timestamp,
    type              varchar,
    message           varchar,
    id                varchar(36) NOT NULL PRIMARY KEY,
    severity          public.error_severity NOT NULL DEFAULT 'error'
);
CREATE INDEX ix_hre_job_id ON public.harvest_record_error (harvest_job_id);
CREATE INDEX ix_harvest_record_error_harvest_record_id ON public.harvest_record_error (harvest_record_id);

CREATE TABLE public.dataset (
    slug                varchar     NOT NULL,
    dcat                jsonb       NOT NULL,
    organization_id     varchar(36) NOT NULL
        CONSTRAINT dataset_organization_id_fkey REFERENCES public.organization (id) ON DELETE CASCADE,
    harvest_source_id   varchar(36) NOT NULL
        CONSTRAINT dataset_harvest_source_id_fkey REFERENCES public.harvest_source (id) ON DELETE CASCADE,
    harvest_record_id   varchar(36) NOT NULL
        CONSTRAINT dataset_harvest_record_id_fkey REFERENCES public.harvest_record (id) ON DELETE CASCADE,
    popularity          integer DEFAULT 0,
    last_harvested_date timestamp,
    translated_spatial  jsonb,
    id                  varchar(36) NOT NULL PRIMARY KEY,
    type                public.record_type NOT NULL DEFAULT 'dataset'
);
CREATE UNIQUE INDEX ix_dataset_slug ON public.dataset (slug);
CREATE INDEX ix_dataset_organization_id ON public.dataset (organization_id);
CREATE INDEX ix_dataset_harvest_source_id ON public.dataset (harvest_source_id);
CREATE UNIQUE INDEX ix_dataset_harvest_record_id ON public.dataset (harvest_record_id);
CREATE INDEX ix_dataset_last_harvested_date ON public.dataset (last_harvested_date);
CREATE INDEX ix_dataset_type ON public.dataset (type);

-- The gazetteer (place names and their shapes) data.gov loads separately; it needs PostGIS, so it exists
-- only where the server has PostGIS and this role may create the extension.
DO $locations$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'postgis') THEN
        BEGIN
            CREATE EXTENSION IF NOT EXISTS postgis;
        EXCEPTION WHEN insufficient_privilege THEN
            RAISE NOTICE 'PostGIS is available but this role may not create it: no locations table';
            RETURN;
        END;
        EXECUTE 'CREATE TABLE public.locations (
            name         varchar,
            type         varchar,
            display_name varchar,
            the_geom     geometry(MULTIPOLYGON),
            type_order   integer,
            id           varchar(36) NOT NULL PRIMARY KEY)';
    END IF;
END
$locations$;

-- Every row this project writes has an id derived from what it stands for (a source, a run and source, a
-- record of a run, a dataset), so a retried load or a reconcile finds the rows an earlier attempt wrote.
-- The parts are joined with ':' (registry and run ids never hold one; an identifier, which may, comes last).
-- The id is shaped as a version 4 UUID (version nibble 4, RFC 4122 variant): data.gov's catalog answers
-- 404 for any record id that is not one (its valid_id_required).
CREATE FUNCTION catalog.harvest_id(kind text, VARIADIC parts text[]) RETURNS varchar(36)
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$ SELECT (substr(h, 1, 12) || '4' || substr(h, 14, 3)
        || substr('89ab', (get_byte(decode(substr(h, 17, 2), 'hex'), 0) & 3) + 1, 1) || substr(h, 18, 15))::uuid::text
    FROM (SELECT md5(kind || ':' || array_to_string(parts, ':')) AS h) AS digest $$;

-- A DCAT-US class (this project's RecordType) as H2.0's record_type.
CREATE FUNCTION catalog.datagov_record_type(dcat_class text) RETURNS public.record_type
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT (CASE dcat_class WHEN 'DataService' THEN 'data_service' WHEN 'CatalogRecord' THEN 'catalog_record'
        WHEN 'DatasetSeries' THEN 'data_series' ELSE 'dataset' END)::public.record_type $$;

-- The registry's source id of each harvest_source row this project writes (H2.0 has no column for it).
CREATE TABLE catalog.source_key (
    source_id         text        PRIMARY KEY,
    harvest_source_id varchar(36) NOT NULL UNIQUE REFERENCES public.harvest_source (id) ON DELETE CASCADE
);

-- Reconcile stages each lake record's class and spatial shape too, and finds its dataset row by id.
ALTER TABLE catalog.lake_snapshot
    ADD COLUMN IF NOT EXISTS record_type text,  -- IF NOT EXISTS: a database that ran secrets-reconcile's 0004
    ADD COLUMN translated_spatial text,
    ADD COLUMN dataset_id         varchar(36)
        GENERATED ALWAYS AS (catalog.harvest_id('dataset', source_id, identifier)) STORED;
DROP INDEX catalog.lake_snapshot_key;
CREATE INDEX lake_snapshot_key ON catalog.lake_snapshot (snapshot_id, dataset_id);

-- Rows published before this migration move into the new tables, under one job per (source, run) that
-- changed them. What the old table did not keep stays empty until the next load or reconcile: the source's
-- URL, type and schema (placeholders here; the next load writes the registry's), and the records' source_raw.
INSERT INTO public.organization (id, name, slug)
SELECT id, name,
    CASE WHEN row_number() OVER (PARTITION BY slug ORDER BY name) > 1 THEN left(slug, 90) || '-' || left(id, 8) ELSE slug END
FROM (
    SELECT catalog.harvest_id('organization', name) AS id, name,
        coalesce(nullif(left(trim(BOTH '-' FROM regexp_replace(lower(name), '[^a-z0-9]+', '-', 'g')), 90), ''),
            'organization') AS slug
    FROM (SELECT DISTINCT coalesce(organization, source_id) AS name FROM catalog.dataset) AS names
) AS organizations;

INSERT INTO public.harvest_source (id, organization_id, name, url, frequency, schema_type, source_type,
    notification_frequency)
SELECT DISTINCT ON (source_id) catalog.harvest_id('harvest-source', source_id),
    catalog.harvest_id('organization', coalesce(organization, source_id)), coalesce(source_title, source_id),
    'urn:harvest-source:' || source_id, 'manual', 'dcatus1.1: federal', 'document', 'on_error'
FROM catalog.dataset ORDER BY source_id, last_harvested DESC;

INSERT INTO catalog.source_key (source_id, harvest_source_id)
SELECT DISTINCT source_id, catalog.harvest_id('harvest-source', source_id) FROM catalog.dataset;

INSERT INTO public.harvest_job (id, harvest_source_id, status, job_type, date_created, date_finished,
    records_total, records_added, records_updated, records_deleted, records_errored, records_ignored,
    records_validated, records_warned)
SELECT catalog.harvest_id('harvest-job', last_run_id, source_id), catalog.harvest_id('harvest-source', source_id),
    'complete', 'harvest', min(last_harvested) AT TIME ZONE 'UTC', max(last_harvested) AT TIME ZONE 'UTC',
    count(*), count(*), 0, 0, 0, 0, count(*), 0
FROM catalog.dataset GROUP BY source_id, last_run_id;

INSERT INTO public.harvest_record (id, identifier, harvest_job_id, harvest_source_id, source_hash, date_created,
    date_finished, action, status, record_type)
SELECT catalog.harvest_id('harvest-record', last_run_id, source_id, identifier), identifier,
    catalog.harvest_id('harvest-job', last_run_id, source_id), catalog.harvest_id('harvest-source', source_id),
    content_hash, last_harvested AT TIME ZONE 'UTC', last_harvested AT TIME ZONE 'UTC',
    CASE WHEN first_harvested = last_harvested THEN 'create' ELSE 'update' END::public.record_action,
    'success', catalog.datagov_record_type(record_type)
FROM catalog.dataset;

INSERT INTO public.dataset (id, slug, dcat, organization_id, harvest_source_id, harvest_record_id,
    last_harvested_date, type)
SELECT catalog.harvest_id('dataset', source_id, identifier), slug, dcat,
    catalog.harvest_id('organization', coalesce(organization, source_id)),
    catalog.harvest_id('harvest-source', source_id), catalog.harvest_id('harvest-record', last_run_id, source_id, identifier),
    last_harvested AT TIME ZONE 'UTC', catalog.datagov_record_type(record_type)
FROM catalog.dataset;

DROP TABLE catalog.dataset;

-- The old table's name, read-only: each published dataset with the registry's source id and its identifier,
-- for `harvest reconcile`'s examples, the tests, and whoever queried catalog.dataset before.
CREATE VIEW catalog.dataset AS
SELECT k.source_id, r.identifier, d.slug, d.dcat ->> 'title' AS title, o.name AS organization,
    s.name AS source_title, r.source_hash AS content_hash, d.dcat, d.type AS record_type,
    d.last_harvested_date AS last_harvested, d.id AS dataset_id, d.harvest_record_id
FROM public.dataset AS d
JOIN public.harvest_record AS r ON r.id = d.harvest_record_id
JOIN public.harvest_source AS s ON s.id = d.harvest_source_id
JOIN public.organization AS o ON o.id = d.organization_id
LEFT JOIN catalog.source_key AS k ON k.harvest_source_id = d.harvest_source_id;

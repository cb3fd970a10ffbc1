-- The harvester's (H2.0) tables that data.gov's catalog reads, for the tests only: written from
-- GSA/datagov-harvester's database/models.py (../shared/anchors/datagov-harvester, 2026-08-21) so that
-- its data-only snapshot (datagov-catalog's tests/data/harvester_snapshot/postgres.sql) loads.
-- Not the project's migrations. Differences on purpose, none of which the catalog can see:
--   * the models' PostgreSQL enum types are text here (the catalog reads every one of them as a string);
--   * locations.the_geom is text, not a PostGIS geometry (no PostGIS on these machines; the snapshot
--     has no location, and only the geography search, which needs OpenSearch anyway, reads it);
--   * no dataset_view_count, resource_view_count or harvest_user (the catalog reads none of them).

CREATE TABLE organization (
    id varchar(36) PRIMARY KEY,
    name varchar NOT NULL,
    logo varchar,
    description text,
    slug varchar(100) NOT NULL CONSTRAINT uq_organization_slug UNIQUE,
    organization_type text,
    code_repo_url varchar,
    code_repo_exempt boolean NOT NULL DEFAULT false,
    aliases varchar[]
);
CREATE INDEX ix_organization_name ON organization (name);

CREATE TABLE harvest_source (
    id varchar(36) PRIMARY KEY,
    organization_id varchar(36) NOT NULL REFERENCES organization (id) ON DELETE CASCADE,
    name varchar NOT NULL,
    url varchar NOT NULL UNIQUE,
    notification_emails varchar[],
    frequency text NOT NULL,
    schema_type text NOT NULL,
    source_type text NOT NULL,
    notification_frequency text NOT NULL,
    collection_parent_url varchar,
    CONSTRAINT wafcollectionparenturl CHECK (
        (collection_parent_url IS NULL AND source_type <> 'waf-collection')
        OR (collection_parent_url IS NOT NULL AND source_type = 'waf-collection'))
);
CREATE INDEX ix_harvest_source_organization_id ON harvest_source (organization_id);

CREATE TABLE harvest_job (
    id varchar(36) PRIMARY KEY,
    harvest_source_id varchar(36) NOT NULL REFERENCES harvest_source (id) ON DELETE CASCADE,
    status text NOT NULL,
    job_type varchar(20) DEFAULT 'harvest',
    date_created timestamp DEFAULT statement_timestamp(),
    date_finished timestamp,
    records_total integer DEFAULT 0,
    records_added integer DEFAULT 0,
    records_updated integer DEFAULT 0,
    records_deleted integer DEFAULT 0,
    records_errored integer DEFAULT 0,
    records_warned integer DEFAULT 0,
    records_ignored integer DEFAULT 0,
    records_validated integer DEFAULT 0,
    dcatus_catalog jsonb
);
CREATE INDEX ix_harvest_job_harvest_source_id ON harvest_job (harvest_source_id);

CREATE TABLE harvest_record (
    id varchar(36) PRIMARY KEY,
    identifier varchar NOT NULL,
    harvest_job_id varchar(36) NOT NULL REFERENCES harvest_job (id) ON DELETE CASCADE,
    harvest_source_id varchar(36) NOT NULL REFERENCES harvest_source (id) ON DELETE CASCADE,
    source_hash varchar,
    source_raw varchar,
    source_transform jsonb,
    date_created timestamp DEFAULT statement_timestamp(),
    date_finished timestamp,
    ckan_id varchar,
    action text,
    parent_identifier varchar,
    status text,
    record_type text NOT NULL DEFAULT 'dataset'
);
CREATE INDEX ix_harvest_record_harvest_job_id ON harvest_record (harvest_job_id);

CREATE TABLE harvest_record_error (
    id varchar(36) PRIMARY KEY,
    date_created timestamp DEFAULT statement_timestamp(),
    type varchar,
    message varchar,
    harvest_record_id varchar REFERENCES harvest_record (id) ON DELETE SET NULL,
    harvest_job_id varchar(36) NOT NULL REFERENCES harvest_job (id) ON DELETE CASCADE,
    severity text NOT NULL DEFAULT 'error'
);

CREATE TABLE dataset (
    id varchar(36) PRIMARY KEY,
    slug varchar NOT NULL UNIQUE,
    dcat jsonb NOT NULL,
    translated_spatial jsonb,
    organization_id varchar(36) NOT NULL REFERENCES organization (id) ON DELETE CASCADE,
    harvest_source_id varchar(36) NOT NULL REFERENCES harvest_source (id) ON DELETE CASCADE,
    harvest_record_id varchar(36) NOT NULL UNIQUE REFERENCES harvest_record (id) ON DELETE CASCADE,
    popularity integer DEFAULT 0,
    last_harvested_date timestamp,
    type text NOT NULL DEFAULT 'dataset'
);
CREATE INDEX ix_dataset_organization_id ON dataset (organization_id);
CREATE INDEX ix_dataset_last_harvested_date ON dataset (last_harvested_date);

CREATE TABLE locations (
    id varchar(36) PRIMARY KEY,
    name varchar,
    type varchar,
    display_name varchar,
    the_geom text,
    type_order integer
);

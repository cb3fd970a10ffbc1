-- DCAT-US 3.0: each published record's DCAT-US version and class. A 3.0 catalog holds data services,
-- catalog records and dataset series beside its datasets; the catalog site shows each as what it is.
-- Rows published before 3.0 were all DCAT-US 1.1 datasets.
ALTER TABLE catalog.dataset
    ADD COLUMN dcat_version text NOT NULL DEFAULT '1.1',
    ADD COLUMN record_type  text NOT NULL DEFAULT 'Dataset',
    ADD CONSTRAINT dataset_dcat_version CHECK (dcat_version IN ('1.1', '3.0')),
    ADD CONSTRAINT dataset_record_type
        CHECK (record_type IN ('Dataset', 'DataService', 'CatalogRecord', 'DatasetSeries'));

CREATE INDEX dataset_record_type ON catalog.dataset (record_type);

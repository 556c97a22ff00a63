-- A number per tenant that every change to its instances raises, in the
-- change's own transaction. Two snapshots that read the same number see the
-- same instances of the tenant, so a replica may keep the names of
-- instances that it read for a list, and give them to any later list whose
-- snapshot reads that number (postgres/instancenames.go): Huawei's lists
-- name each task's instance, and reading twenty names took a round trip and
-- a quarter of such a list's cost (docs/BENCHMARKS.md).
CREATE TABLE instance_versions (
    tenant  text COLLATE "C" PRIMARY KEY,
    version bigint NOT NULL
);

INSERT INTO instance_versions (tenant, version) SELECT DISTINCT tenant, 1 FROM instances;

-- Instances change rarely and one at a time; a statement that changes many
-- raises each tenant's number once.
CREATE FUNCTION instance_versions_raise() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO instance_versions AS v (tenant, version)
    SELECT DISTINCT tenant, 1 FROM changed
    ON CONFLICT (tenant) DO UPDATE SET version = v.version + 1;
    RETURN NULL;
END
$$;

CREATE TRIGGER instances_version_insert AFTER INSERT ON instances
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION instance_versions_raise();
CREATE TRIGGER instances_version_update AFTER UPDATE ON instances
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION instance_versions_raise();
CREATE TRIGGER instances_version_delete AFTER DELETE ON instances
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION instance_versions_raise();

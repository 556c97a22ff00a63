-- An instance's count of tasks, kept as task_counts keeps a tenant's: the
-- list of an instance alone counted its links less its removed links (015)
-- in every request, two index scans of the instance's whole range, 105
-- entries for the big tenant's instance at 10M and a fifth of the
-- statement. Now it sums one folded row and the deltas not folded yet.
--
-- Statement triggers on the two link tables append a delta per instance a
-- statement touches: +1 for a link, -1 for a removed link, the opposite when
-- one is deleted, both when one moves to another instance. Whichever
-- statement writes the links (the engine's, a bulk load's,
-- task_removed_links, task_rows_delete, an operator's SQL), the deltas
-- commit with it; appending takes no lock a writer waits for.
-- TaskCountsCompact folds them into one row per instance.

-- Writes to the links wait until this migration commits: no link changes
-- between the count below and the triggers' creation.
LOCK TABLE task_instances, task_instances_removed IN SHARE MODE;

CREATE TABLE instance_task_counts (
    tenant      text COLLATE "C" NOT NULL,
    instance_id text COLLATE "C" NOT NULL,
    n           bigint NOT NULL,
    delta       boolean NOT NULL DEFAULT true -- true: appended by a trigger; false: folded
);

-- Each row has one index entry: a folded row in the first, the target of
-- the fold's upsert, a delta in the second. Readers sum both, index only.
CREATE UNIQUE INDEX instance_task_counts_folded ON instance_task_counts (tenant, instance_id) INCLUDE (n) WHERE NOT delta;
CREATE INDEX instance_task_counts_delta ON instance_task_counts (tenant, instance_id) INCLUDE (n) WHERE delta;

INSERT INTO instance_task_counts (tenant, instance_id, n, delta)
SELECT tenant, instance_id, sum(n), false FROM (
    SELECT tenant, instance_id, count(*) AS n FROM task_instances GROUP BY 1, 2
    UNION ALL
    SELECT tenant, instance_id, -count(*) FROM task_instances_removed GROUP BY 1, 2) AS c
GROUP BY 1, 2;

-- TG_ARGV[0] is the sign of the rows in changed.
CREATE FUNCTION instance_task_counts_add() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO instance_task_counts (tenant, instance_id, n)
    SELECT tenant, instance_id, TG_ARGV[0]::bigint * count(*) FROM changed GROUP BY 1, 2;
    RETURN NULL;
END $$;

-- A link moved to another instance; TG_ARGV[0] is the sign of its new row.
CREATE FUNCTION instance_task_counts_move() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO instance_task_counts (tenant, instance_id, n)
    SELECT tenant, instance_id, TG_ARGV[0]::bigint * sum(n) FROM (
        SELECT tenant, instance_id, -1 AS n FROM old_links
        UNION ALL
        SELECT tenant, instance_id, 1 FROM new_links) AS c
    GROUP BY 1, 2 HAVING sum(n) <> 0;
    RETURN NULL;
END $$;

CREATE TRIGGER task_instances_count_insert AFTER INSERT ON task_instances
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION instance_task_counts_add('1');
CREATE TRIGGER task_instances_count_delete AFTER DELETE ON task_instances
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION instance_task_counts_add('-1');
CREATE TRIGGER task_instances_count_update AFTER UPDATE ON task_instances
    REFERENCING OLD TABLE AS old_links NEW TABLE AS new_links FOR EACH STATEMENT
    EXECUTE FUNCTION instance_task_counts_move('1');
CREATE TRIGGER task_instances_removed_count_insert AFTER INSERT ON task_instances_removed
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION instance_task_counts_add('-1');
CREATE TRIGGER task_instances_removed_count_delete AFTER DELETE ON task_instances_removed
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION instance_task_counts_add('1');
CREATE TRIGGER task_instances_removed_count_update AFTER UPDATE ON task_instances_removed
    REFERENCING OLD TABLE AS old_links NEW TABLE AS new_links FOR EACH STATEMENT
    EXECUTE FUNCTION instance_task_counts_move('-1');

-- The count triggers append to task_counts alone, one delta row per tenant,
-- UTC hour of creation, type and status: 007 made them append to
-- task_status_counts as well, a row per day and one per hour, each with its
-- index entries, in every write. With a hundred tenants those rows cost the
-- engine a fifth of its throughput (docs/BENCHMARKS.md). The fold now
-- derives the per-day, per-status and total rows from the hourly deltas, and
-- readers add the deltas not folded yet by hour: task_status_counts holds
-- folded rows only.
--
-- A replica still on the previous version during an upgrade keeps writing
-- through these triggers; its fold fails, since task_status_counts has no
-- delta column any more, instead of folding deltas without their hours, and
-- its window totals miss the deltas not folded yet until it is upgraded.

-- Writes to tasks wait until this migration commits: no delta is appended
-- between the fold below and the triggers' switch.
LOCK TABLE tasks IN SHARE MODE;

-- Fold the deltas there are, as 007 did, so that every delta left has an hour.
WITH d AS (DELETE FROM task_counts WHERE delta RETURNING tenant, day, type, status, n),
days AS (INSERT INTO task_counts (tenant, day, type, status, n, delta)
    SELECT tenant, day, type, status, sum(n), false FROM d GROUP BY tenant, day, type, status
    ON CONFLICT (tenant, day, type, status) WHERE NOT delta DO UPDATE SET n = task_counts.n + excluded.n),
sd AS (DELETE FROM task_status_counts WHERE delta RETURNING tenant, hourly, period, status, n),
periods AS (INSERT INTO task_status_counts (tenant, hourly, period, status, n, delta)
    SELECT tenant, hourly, period, status, sum(n), false FROM sd GROUP BY tenant, hourly, period, status
    ON CONFLICT (tenant, hourly, period, status) WHERE NOT delta
    DO UPDATE SET n = task_status_counts.n + excluded.n)
INSERT INTO task_totals (tenant, type, status, n)
SELECT tenant, type, status, sum(n) FROM d GROUP BY tenant, type, status
ON CONFLICT (tenant, type, status) DO UPDATE SET n = task_totals.n + excluded.n;

-- A delta's UTC hour of creation (task_hour); folded rows have none.
ALTER TABLE task_counts ADD COLUMN hour integer,
    ADD CONSTRAINT task_counts_delta_hour CHECK (NOT delta OR hour IS NOT NULL);

-- A delta row has two index entries: the table's and this one, through
-- which readers add a tenant's deltas, all of them or those of some hours.
DROP INDEX task_counts_delta;
CREATE INDEX task_counts_delta ON task_counts (tenant, hour) INCLUDE (type, status, n) WHERE delta;

-- Readers sum the folded days index only through the fold's unique index,
-- which now includes n; the index of every row goes.
CREATE UNIQUE INDEX task_counts_folded_n ON task_counts (tenant, day, type, status) INCLUDE (n) WHERE NOT delta;
DROP INDEX task_counts_folded;
ALTER INDEX task_counts_folded_n RENAME TO task_counts_folded;
DROP INDEX task_counts_sum;

-- Folded rows only: one unique index both for readers and the fold.
DROP INDEX task_status_counts_delta;
DROP INDEX task_status_counts_folded;
DROP INDEX task_status_counts_sum;
ALTER TABLE task_status_counts DROP COLUMN delta;
CREATE UNIQUE INDEX task_status_counts_key ON task_status_counts (tenant, hourly, period, status) INCLUDE (n);

CREATE OR REPLACE FUNCTION task_counts_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO task_counts (tenant, day, hour, type, status, n)
    SELECT tenant, task_day(created_at), task_hour(created_at), type, status, count(*)
    FROM new_tasks GROUP BY 1, 2, 3, 4, 5;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION task_counts_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO task_counts (tenant, day, hour, type, status, n)
    SELECT tenant, task_day(created_at), task_hour(created_at), type, status, -count(*)
    FROM old_tasks GROUP BY 1, 2, 3, 4, 5;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION task_counts_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO task_counts (tenant, day, hour, type, status, n)
    SELECT c.tenant, task_day(c.created_at), task_hour(c.created_at), c.type, c.status, sum(c.n)
    FROM old_tasks o JOIN new_tasks nw ON nw.id = o.id
    CROSS JOIN LATERAL (VALUES
        (o.tenant, o.created_at, o.type, o.status, -1),
        (nw.tenant, nw.created_at, nw.type, nw.status, 1)) AS c(tenant, created_at, type, status, n)
    WHERE (o.tenant, o.type, o.status, o.created_at) IS DISTINCT FROM (nw.tenant, nw.type, nw.status, nw.created_at)
    GROUP BY 1, 2, 3, 4, 5
    HAVING sum(c.n) <> 0;
    RETURN NULL;
END $$;

ANALYZE task_counts, task_status_counts;

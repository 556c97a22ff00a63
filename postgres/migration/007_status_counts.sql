-- Counters of a tenant's tasks per status by UTC day and by UTC hour, without
-- the type. A window's total without a type filter sums a handful of rows per
-- day here, where task_counts holds one per type and status, and counts the
-- partial days at its edges from hours instead of row by row: at most half an
-- hour per edge is left to count in the index of (tenant, created_at). At 10
-- million tasks this made the total of a 30-day window of the largest tenant
-- five times cheaper (docs/BENCHMARKS.md). Windows of some types keep
-- task_counts and their edges counted row by row.
--
-- Like task_counts, rows are deltas appended by the count triggers in the
-- transaction of every write, and TaskCountsCompact folds them.

-- Writes to tasks wait until this migration commits (a replica still on the
-- previous version may be writing): the counts filled below from the tasks
-- and the triggers that keep them from then on see the same rows.
LOCK TABLE tasks IN SHARE MODE;

-- task_hour is the whole hours since 1970-01-01 UTC (floored) of a creation
-- time, inlinable as task_day is (006).
CREATE FUNCTION task_hour(t timestamptz) RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(floor(extract(epoch FROM t - '1970-01-01 00:00:00+00'::timestamptz) / 3600)::integer, -2147483648)
$$;

CREATE TABLE task_status_counts (
    tenant text COLLATE "C" NOT NULL,
    hourly boolean NOT NULL, -- false: period is a day (task_day); true: an hour (task_hour)
    period integer NOT NULL,
    status text NOT NULL,
    n      bigint NOT NULL,
    delta  boolean NOT NULL DEFAULT true -- true: appended by a trigger; false: folded
);

-- What readers sum, index only.
CREATE INDEX task_status_counts_sum ON task_status_counts (tenant, hourly, period, status) INCLUDE (n);
-- One folded row per group, the target of the fold's upsert.
CREATE UNIQUE INDEX task_status_counts_folded ON task_status_counts (tenant, hourly, period, status) WHERE NOT delta;
-- The deltas still to fold.
CREATE INDEX task_status_counts_delta ON task_status_counts (tenant) WHERE delta;

-- Each count trigger now appends to both tables from one reading of its
-- transition tables: the changes k, grouped by type for task_counts, and by
-- day and by hour for task_status_counts.
CREATE OR REPLACE FUNCTION task_counts_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    WITH k AS (SELECT tenant, created_at, type, status, 1 AS n FROM new_tasks),
    typed AS (INSERT INTO task_counts (tenant, day, type, status, n)
        SELECT tenant, task_day(created_at), type, status, sum(n) FROM k GROUP BY 1, 2, 3, 4)
    INSERT INTO task_status_counts (tenant, hourly, period, status, n)
    SELECT k.tenant, p.hourly, p.period, k.status, sum(k.n)
    FROM k CROSS JOIN LATERAL (VALUES (false, task_day(k.created_at)), (true, task_hour(k.created_at))) AS p(hourly, period)
    GROUP BY 1, 2, 3, 4;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION task_counts_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    WITH k AS (SELECT tenant, created_at, type, status, -1 AS n FROM old_tasks),
    typed AS (INSERT INTO task_counts (tenant, day, type, status, n)
        SELECT tenant, task_day(created_at), type, status, sum(n) FROM k GROUP BY 1, 2, 3, 4)
    INSERT INTO task_status_counts (tenant, hourly, period, status, n)
    SELECT k.tenant, p.hourly, p.period, k.status, sum(k.n)
    FROM k CROSS JOIN LATERAL (VALUES (false, task_day(k.created_at)), (true, task_hour(k.created_at))) AS p(hourly, period)
    GROUP BY 1, 2, 3, 4;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION task_counts_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    WITH k AS (SELECT c.*
        FROM old_tasks o JOIN new_tasks nw ON nw.id = o.id
        CROSS JOIN LATERAL (VALUES
            (o.tenant, o.created_at, o.type, o.status, -1),
            (nw.tenant, nw.created_at, nw.type, nw.status, 1)) AS c(tenant, created_at, type, status, n)
        WHERE (o.tenant, o.type, o.status, o.created_at) IS DISTINCT FROM (nw.tenant, nw.type, nw.status, nw.created_at)),
    typed AS (INSERT INTO task_counts (tenant, day, type, status, n)
        SELECT tenant, task_day(created_at), type, status, sum(n) FROM k GROUP BY 1, 2, 3, 4 HAVING sum(n) <> 0)
    INSERT INTO task_status_counts (tenant, hourly, period, status, n)
    SELECT k.tenant, p.hourly, p.period, k.status, sum(k.n)
    FROM k CROSS JOIN LATERAL (VALUES (false, task_day(k.created_at)), (true, task_hour(k.created_at))) AS p(hourly, period)
    GROUP BY 1, 2, 3, 4
    HAVING sum(k.n) <> 0;
    RETURN NULL;
END $$;

INSERT INTO task_status_counts (tenant, hourly, period, status, n, delta)
SELECT tenant, false, task_day(created_at), status, count(*), false FROM tasks GROUP BY 1, 3, 4;
INSERT INTO task_status_counts (tenant, hourly, period, status, n, delta)
SELECT tenant, true, task_hour(created_at), status, count(*), false FROM tasks GROUP BY 1, 3, 4;
ANALYZE task_status_counts;

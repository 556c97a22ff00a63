-- Exact totals without counting rows. Triggers on tasks append delta rows
-- (tenant, UTC day of created_at, type, status, n) in the transaction of every
-- write, whichever code path makes it; TaskCountsCompact folds the deltas of a
-- group into its one folded row. Readers sum what is there, so a total is
-- exact at any moment. Appending, rather than updating one row per group,
-- keeps concurrent writers from queueing on a hot row.

-- task_day is the whole days since 1970-01-01 UTC (floored) of a creation
-- time; a task without one is counted on the lowest day, which no window
-- reaches.
CREATE FUNCTION task_day(t timestamptz) RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(floor(extract(epoch FROM t) / 86400)::integer, -2147483648)
$$;

CREATE TABLE task_counts (
    tenant text COLLATE "C" NOT NULL,
    day    integer NOT NULL,
    type   text NOT NULL,
    status text NOT NULL,
    n      bigint NOT NULL,
    delta  boolean NOT NULL DEFAULT true -- true: appended by a trigger; false: folded
);

-- What readers sum, index only.
CREATE INDEX task_counts_sum ON task_counts (tenant, day, type, status) INCLUDE (n);
-- One folded row per group, the target of the fold's upsert.
CREATE UNIQUE INDEX task_counts_folded ON task_counts (tenant, day, type, status) WHERE NOT delta;
-- The deltas still to fold, which readers of task_totals add.
CREATE INDEX task_counts_delta ON task_counts (tenant, type, status) INCLUDE (n) WHERE delta;

-- The sums over every day per (tenant, type, status), what a list without a
-- window reads: only the fold writes them, and readers add the deltas it
-- has not folded yet.
CREATE TABLE task_totals (
    tenant text COLLATE "C" NOT NULL,
    type   text NOT NULL,
    status text NOT NULL,
    n      bigint NOT NULL,
    PRIMARY KEY (tenant, type, status)
);

-- Inserts and deletes count per statement, from its transition table: a COPY
-- or a prune of thousands of rows appends one row per group.
CREATE FUNCTION task_counts_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO task_counts (tenant, day, type, status, n)
    SELECT tenant, task_day(created_at), type, status, count(*) FROM new_tasks GROUP BY 1, 2, 3, 4;
    RETURN NULL;
END $$;

CREATE FUNCTION task_counts_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO task_counts (tenant, day, type, status, n)
    SELECT tenant, task_day(created_at), type, status, -count(*) FROM old_tasks GROUP BY 1, 2, 3, 4;
    RETURN NULL;
END $$;

-- Updates count per row, and only the rows whose group changes: the WHEN
-- clause spares heartbeats and progress the call.
CREATE FUNCTION task_counts_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO task_counts (tenant, day, type, status, n) VALUES
        (OLD.tenant, task_day(OLD.created_at), OLD.type, OLD.status, -1),
        (NEW.tenant, task_day(NEW.created_at), NEW.type, NEW.status, 1);
    RETURN NULL;
END $$;

CREATE TRIGGER tasks_count_insert AFTER INSERT ON tasks
    REFERENCING NEW TABLE AS new_tasks FOR EACH STATEMENT EXECUTE FUNCTION task_counts_insert();
CREATE TRIGGER tasks_count_delete AFTER DELETE ON tasks
    REFERENCING OLD TABLE AS old_tasks FOR EACH STATEMENT EXECUTE FUNCTION task_counts_delete();
CREATE TRIGGER tasks_count_update AFTER UPDATE OF tenant, type, status, created_at ON tasks FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.tenant IS DISTINCT FROM NEW.tenant
        OR OLD.type IS DISTINCT FROM NEW.type OR OLD.created_at IS DISTINCT FROM NEW.created_at)
    EXECUTE FUNCTION task_counts_update();

INSERT INTO task_totals (tenant, type, status, n) SELECT tenant, type, status, count(*) FROM tasks GROUP BY 1, 2, 3;
INSERT INTO task_counts (tenant, day, type, status, n, delta)
SELECT tenant, task_day(created_at), type, status, count(*), false FROM tasks GROUP BY 1, 2, 3, 4;

-- The exact count of a window's partial edge days walks this index without
-- reading the table (once vacuumed); it replaces (tenant, created_at).
DROP INDEX tasks_tenant_created_at;
CREATE INDEX tasks_tenant_created_at_status_type ON tasks (tenant, created_at) INCLUDE (status, type);

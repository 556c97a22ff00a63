-- Exact totals without counting rows. Triggers on tasks append delta rows
-- (tenant, UTC day of created_at, type, status, n) in the transaction of every
-- write, whichever code path makes it; TaskCountsCompact folds the deltas of a
-- group into its one folded row. Readers sum what is there, so a total is
-- exact at any moment. Days are whole days since 1970-01-01 UTC (floored).

CREATE TABLE task_counts (
    tenant TEXT    NOT NULL,
    day    INTEGER NOT NULL,
    type   TEXT    NOT NULL,
    status TEXT    NOT NULL,
    n      INTEGER NOT NULL,
    delta  INTEGER NOT NULL DEFAULT 1  -- 1: appended by a trigger; 0: folded
) STRICT;

-- What readers sum, index only.
CREATE INDEX task_counts_sum ON task_counts (tenant, day, type, status, n);
-- One folded row per group, the target of the fold's upsert.
CREATE UNIQUE INDEX task_counts_folded ON task_counts (tenant, day, type, status) WHERE delta = 0;
-- The deltas still to fold, which readers of task_totals add.
CREATE INDEX task_counts_delta ON task_counts (tenant, type, status, n) WHERE delta = 1;

CREATE TRIGGER tasks_count_insert AFTER INSERT ON tasks BEGIN
    INSERT INTO task_counts (tenant, day, type, status, n) VALUES (NEW.tenant,
        CASE WHEN NEW.created_at >= 0 THEN NEW.created_at / 86400000 ELSE (NEW.created_at + 1) / 86400000 - 1 END,
        NEW.type, NEW.status, 1);
END;

CREATE TRIGGER tasks_count_update AFTER UPDATE OF tenant, type, status, created_at ON tasks
WHEN OLD.status <> NEW.status OR OLD.tenant <> NEW.tenant OR OLD.type <> NEW.type OR OLD.created_at <> NEW.created_at
BEGIN
    INSERT INTO task_counts (tenant, day, type, status, n) VALUES (OLD.tenant,
        CASE WHEN OLD.created_at >= 0 THEN OLD.created_at / 86400000 ELSE (OLD.created_at + 1) / 86400000 - 1 END,
        OLD.type, OLD.status, -1), (NEW.tenant,
        CASE WHEN NEW.created_at >= 0 THEN NEW.created_at / 86400000 ELSE (NEW.created_at + 1) / 86400000 - 1 END,
        NEW.type, NEW.status, 1);
END;

CREATE TRIGGER tasks_count_delete AFTER DELETE ON tasks BEGIN
    INSERT INTO task_counts (tenant, day, type, status, n) VALUES (OLD.tenant,
        CASE WHEN OLD.created_at >= 0 THEN OLD.created_at / 86400000 ELSE (OLD.created_at + 1) / 86400000 - 1 END,
        OLD.type, OLD.status, -1);
END;

-- The sums over every day per (tenant, type, status), what a list without a
-- window reads: only the fold writes them, and readers add the deltas it
-- has not folded yet.
CREATE TABLE task_totals (
    tenant TEXT    NOT NULL,
    type   TEXT    NOT NULL,
    status TEXT    NOT NULL,
    n      INTEGER NOT NULL,
    PRIMARY KEY (tenant, type, status)
) STRICT, WITHOUT ROWID;

INSERT INTO task_totals (tenant, type, status, n) SELECT tenant, type, status, count(*) FROM tasks GROUP BY 1, 2, 3;

INSERT INTO task_counts (tenant, day, type, status, n, delta)
SELECT tenant, CASE WHEN created_at >= 0 THEN created_at / 86400000 ELSE (created_at + 1) / 86400000 - 1 END AS day,
    type, status, count(*), 0
FROM tasks GROUP BY 1, 2, 3, 4;

-- The exact count of a window's partial edge days walks this index without
-- reading the table; it replaces (tenant, created_at).
DROP INDEX tasks_tenant_created_at;
CREATE INDEX tasks_tenant_created_at_status_type ON tasks (tenant, created_at, status, type);

-- A page is the newest matching tasks: each of these indexes walks a tenant's
-- tasks by id, newest first, of every status, of one status or of one type,
-- and holds the columns the other filters test, so that rows are read only
-- for the tasks of the page. They replace the plain ones.
DROP INDEX tasks_tenant_id;
DROP INDEX tasks_tenant_status_id;
DROP INDEX tasks_tenant_type_id;
CREATE INDEX tasks_tenant_id_cov ON tasks (tenant, id, status, type, created_at);
CREATE INDEX tasks_tenant_status_id_cov ON tasks (tenant, status, id, type, created_at);
CREATE INDEX tasks_tenant_type_id_cov ON tasks (tenant, type, id, status, created_at);

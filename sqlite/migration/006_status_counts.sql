-- Counters of a tenant's tasks per status by UTC day and by UTC hour, without
-- the type, as in PostgreSQL's 007: a window's total without a type filter
-- sums a handful of rows per day here, where task_counts holds one per type
-- and status, and counts the partial days at its edges from hours, leaving
-- at most half an hour per edge to count row by row. The writes add to them
-- in Go with the other counts (sqlite/counts_write.go); deletions, through
-- the trigger below.
CREATE TABLE task_status_counts (
    tenant TEXT    NOT NULL,
    hourly INTEGER NOT NULL, -- 0: period is a UTC day; 1: a UTC hour
    period INTEGER NOT NULL,
    status TEXT    NOT NULL,
    n      INTEGER NOT NULL,
    PRIMARY KEY (tenant, hourly, period, status)
) STRICT, WITHOUT ROWID;

DROP TRIGGER tasks_count_delete;
CREATE TRIGGER tasks_count_delete AFTER DELETE ON tasks BEGIN
    INSERT INTO task_counts (tenant, day, type, status, n, delta)
        VALUES (OLD.tenant, CASE WHEN OLD.created_at >= 0 THEN OLD.created_at / 86400000 ELSE (OLD.created_at + 1) / 86400000 - 1 END, OLD.type, OLD.status, -1, 0)
        ON CONFLICT (tenant, day, type, status) WHERE delta = 0 DO UPDATE SET n = n + excluded.n;
    INSERT INTO task_totals (tenant, type, status, n) VALUES (OLD.tenant, OLD.type, OLD.status, -1)
        ON CONFLICT (tenant, type, status) DO UPDATE SET n = n + excluded.n;
    INSERT INTO task_status_counts (tenant, hourly, period, status, n)
        VALUES (OLD.tenant, 0, CASE WHEN OLD.created_at >= 0 THEN OLD.created_at / 86400000 ELSE (OLD.created_at + 1) / 86400000 - 1 END, OLD.status, -1),
               (OLD.tenant, 1, CASE WHEN OLD.created_at >= 0 THEN OLD.created_at / 3600000 ELSE (OLD.created_at + 1) / 3600000 - 1 END, OLD.status, -1)
        ON CONFLICT (tenant, hourly, period, status) DO UPDATE SET n = n + excluded.n;
END;

INSERT INTO task_status_counts (tenant, hourly, period, status, n)
SELECT tenant, 0, CASE WHEN created_at >= 0 THEN created_at / 86400000 ELSE (created_at + 1) / 86400000 - 1 END, status, count(*)
FROM tasks GROUP BY 1, 3, 4;
INSERT INTO task_status_counts (tenant, hourly, period, status, n)
SELECT tenant, 1, CASE WHEN created_at >= 0 THEN created_at / 3600000 ELSE (created_at + 1) / 3600000 - 1 END, status, count(*)
FROM tasks GROUP BY 1, 3, 4;

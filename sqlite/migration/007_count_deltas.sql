-- The writes add their changes of the counts to task_count_deltas alone, one
-- row per tenant, UTC hour of creation, type and status, where they added to
-- task_counts, task_totals and task_status_counts by day and by hour: with a
-- hundred tenants in a batch, those four groups per tenant in four tables
-- were a fifth of the engine's work (docs/BENCHMARKS.md). The table holds
-- the changes since the last fold, a few pages, and readers add them;
-- TaskCountsCompact folds them into the other tables, in the writer's
-- transaction, so totals read before and after a fold agree. Deletions and
-- bulk loads still add to the folded tables in place.
CREATE TABLE task_count_deltas (
    tenant TEXT    NOT NULL,
    hour   INTEGER NOT NULL, -- UTC hour of creation, window.HourOf
    type   TEXT    NOT NULL,
    status TEXT    NOT NULL,
    day    INTEGER NOT NULL, -- the hour's UTC day, window.DayOf
    n      INTEGER NOT NULL,
    PRIMARY KEY (tenant, hour, type, status)
) STRICT, WITHOUT ROWID;

-- Fold the delta rows of task_counts that databases written before 004 may
-- still hold: readers no longer look for them.
INSERT INTO task_totals (tenant, type, status, n)
SELECT tenant, type, status, sum(n) FROM task_counts WHERE delta = 1 GROUP BY tenant, type, status
ON CONFLICT (tenant, type, status) DO UPDATE SET n = n + excluded.n;
INSERT INTO task_counts (tenant, day, type, status, n, delta)
SELECT tenant, day, type, status, sum(n), 0 FROM task_counts WHERE delta = 1 GROUP BY tenant, day, type, status
ON CONFLICT (tenant, day, type, status) WHERE delta = 0 DO UPDATE SET n = n + excluded.n;
DELETE FROM task_counts WHERE delta = 1;
DROP INDEX task_counts_delta;

-- The count triggers add to the folded rows of task_counts and to task_totals
-- in place instead of appending a delta row per change. With one writer there
-- is no hot row to contend for, and an update in place costs less than a new
-- row in three b-trees that grows until the next fold: the engine benchmark
-- writes about a quarter more tasks a second. The queries are unchanged (no
-- delta rows is a valid state), and TaskCountsCompact folds what older
-- versions appended.

DROP TRIGGER tasks_count_insert;
DROP TRIGGER tasks_count_update;
DROP TRIGGER tasks_count_delete;

CREATE TRIGGER tasks_count_insert AFTER INSERT ON tasks BEGIN
    INSERT INTO task_counts (tenant, day, type, status, n, delta)
        VALUES (NEW.tenant, CASE WHEN NEW.created_at >= 0 THEN NEW.created_at / 86400000 ELSE (NEW.created_at + 1) / 86400000 - 1 END, NEW.type, NEW.status, 1, 0)
        ON CONFLICT (tenant, day, type, status) WHERE delta = 0 DO UPDATE SET n = n + excluded.n;
    INSERT INTO task_totals (tenant, type, status, n) VALUES (NEW.tenant, NEW.type, NEW.status, 1)
        ON CONFLICT (tenant, type, status) DO UPDATE SET n = n + excluded.n;
END;

CREATE TRIGGER tasks_count_update AFTER UPDATE OF tenant, type, status, created_at ON tasks
WHEN OLD.status <> NEW.status OR OLD.tenant <> NEW.tenant OR OLD.type <> NEW.type OR OLD.created_at <> NEW.created_at
BEGIN
    INSERT INTO task_counts (tenant, day, type, status, n, delta)
        VALUES (OLD.tenant, CASE WHEN OLD.created_at >= 0 THEN OLD.created_at / 86400000 ELSE (OLD.created_at + 1) / 86400000 - 1 END, OLD.type, OLD.status, -1, 0),
               (NEW.tenant, CASE WHEN NEW.created_at >= 0 THEN NEW.created_at / 86400000 ELSE (NEW.created_at + 1) / 86400000 - 1 END, NEW.type, NEW.status, 1, 0)
        ON CONFLICT (tenant, day, type, status) WHERE delta = 0 DO UPDATE SET n = n + excluded.n;
    INSERT INTO task_totals (tenant, type, status, n)
        VALUES (OLD.tenant, OLD.type, OLD.status, -1), (NEW.tenant, NEW.type, NEW.status, 1)
        ON CONFLICT (tenant, type, status) DO UPDATE SET n = n + excluded.n;
END;

CREATE TRIGGER tasks_count_delete AFTER DELETE ON tasks BEGIN
    INSERT INTO task_counts (tenant, day, type, status, n, delta)
        VALUES (OLD.tenant, CASE WHEN OLD.created_at >= 0 THEN OLD.created_at / 86400000 ELSE (OLD.created_at + 1) / 86400000 - 1 END, OLD.type, OLD.status, -1, 0)
        ON CONFLICT (tenant, day, type, status) WHERE delta = 0 DO UPDATE SET n = n + excluded.n;
    INSERT INTO task_totals (tenant, type, status, n) VALUES (OLD.tenant, OLD.type, OLD.status, -1)
        ON CONFLICT (tenant, type, status) DO UPDATE SET n = n + excluded.n;
END;

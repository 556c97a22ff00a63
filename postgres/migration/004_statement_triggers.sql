-- Writes of many tasks cost per statement, not per row.
--
-- The counts of updates come from the statement's transition tables: one
-- grouped insert per UPDATE instead of a trigger call and two inserts per row
-- whose group changed. Rows whose group stays (heartbeats, progress) cancel
-- out in the join and append nothing.
DROP TRIGGER tasks_count_update ON tasks;

CREATE OR REPLACE FUNCTION task_counts_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO task_counts (tenant, day, type, status, n)
    SELECT k.tenant, k.day, k.type, k.status, sum(k.n)
    FROM old_tasks o JOIN new_tasks nw ON nw.id = o.id
    CROSS JOIN LATERAL (VALUES
        (o.tenant, task_day(o.created_at), o.type, o.status, -1),
        (nw.tenant, task_day(nw.created_at), nw.type, nw.status, 1)) AS k(tenant, day, type, status, n)
    WHERE (o.tenant, o.type, o.status, o.created_at) IS DISTINCT FROM (nw.tenant, nw.type, nw.status, nw.created_at)
    GROUP BY 1, 2, 3, 4
    HAVING sum(k.n) <> 0;
    RETURN NULL;
END $$;

CREATE TRIGGER tasks_count_update AFTER UPDATE ON tasks
    REFERENCING OLD TABLE AS old_tasks NEW TABLE AS new_tasks
    FOR EACH STATEMENT EXECUTE FUNCTION task_counts_update();

-- The rows that belong to a task (its instance links, queue entries and
-- events) went with it through foreign keys, which check every inserted row
-- against tasks and lock the task's row to do it: six checks and locks per
-- task on the engine's path. The store writes those rows only in the
-- transaction that created or locked their task, so the keys are replaced
-- by one statement-level trigger that deletes what a deletion of tasks
-- leaves behind, whichever statement deletes them.
ALTER TABLE task_instances DROP CONSTRAINT task_instances_task_id_fkey;
ALTER TABLE task_queue DROP CONSTRAINT task_queue_task_id_fkey;
ALTER TABLE task_events DROP CONSTRAINT task_events_task_id_fkey;

CREATE FUNCTION task_rows_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM task_instances WHERE task_id IN (SELECT id FROM old_tasks);
    DELETE FROM task_queue WHERE task_id IN (SELECT id FROM old_tasks);
    DELETE FROM task_events WHERE task_id IN (SELECT id FROM old_tasks);
    RETURN NULL;
END $$;

CREATE TRIGGER tasks_rows_delete AFTER DELETE ON tasks
    REFERENCING OLD TABLE AS old_tasks FOR EACH STATEMENT EXECUTE FUNCTION task_rows_delete();


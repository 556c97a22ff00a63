-- The instance links of removed tasks, kept apart as well, as SQLite's
-- migration 011 does: a list of an instance counts its tasks but the removed
-- ones, and only a task's row says it is removed, so the count read the row
-- of every task of the instance (107 rows and 428 buffers for an instance of
-- 105 tasks, most of the statement). With these the count is the instance's
-- links less its removed links, each read from its key alone
-- (postgres/count.go).
--
-- Row triggers keep the table, whichever statement writes a task (the
-- engine's, a bulk load's COPY, an operator's SQL): a task's links are
-- copied from its instance_ids when it is stored REMOVED or becomes REMOVED,
-- dropped should it leave that status, and go with the task when it is
-- deleted (task_rows_delete). The WHEN conditions leave every other write
-- without a call: the engine's changes of status never name REMOVED.

-- Writes to tasks wait until this migration commits: no task becomes
-- REMOVED between the copy below and the triggers' creation.
LOCK TABLE tasks IN SHARE MODE;

CREATE TABLE task_instances_removed (
    tenant      text COLLATE "C" NOT NULL,
    instance_id text COLLATE "C" NOT NULL,
    task_id     bigint NOT NULL,
    PRIMARY KEY (tenant, instance_id, task_id)
);
CREATE INDEX task_instances_removed_task_id ON task_instances_removed (task_id);

INSERT INTO task_instances_removed (tenant, instance_id, task_id)
SELECT DISTINCT t.tenant, i.instance_id, t.id FROM tasks t CROSS JOIN unnest(t.instance_ids) AS i(instance_id)
WHERE t.status = 'REMOVED';

CREATE FUNCTION task_removed_links() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.status = 'REMOVED' THEN
        DELETE FROM task_instances_removed WHERE task_id = OLD.id;
    END IF;
    IF NEW.status = 'REMOVED' THEN
        INSERT INTO task_instances_removed (tenant, instance_id, task_id)
        SELECT DISTINCT NEW.tenant, i, NEW.id FROM unnest(NEW.instance_ids) AS i
        ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER tasks_removed_links_insert AFTER INSERT ON tasks
    FOR EACH ROW WHEN (NEW.status = 'REMOVED') EXECUTE FUNCTION task_removed_links();
CREATE TRIGGER tasks_removed_links_update AFTER UPDATE OF status, tenant, instance_ids ON tasks
    FOR EACH ROW WHEN ((OLD.status = 'REMOVED' OR NEW.status = 'REMOVED')
        AND (OLD.status, OLD.tenant, OLD.instance_ids) IS DISTINCT FROM (NEW.status, NEW.tenant, NEW.instance_ids))
    EXECUTE FUNCTION task_removed_links();

CREATE OR REPLACE FUNCTION task_rows_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM task_instances WHERE task_id IN (SELECT id FROM old_tasks);
    DELETE FROM task_instances_removed WHERE task_id IN (SELECT id FROM old_tasks);
    DELETE FROM task_queue WHERE task_id IN (SELECT id FROM old_tasks);
    DELETE FROM task_events WHERE task_id IN (SELECT id FROM old_tasks);
    RETURN NULL;
END $$;

-- The instance links of removed tasks, kept apart as well: a list of an
-- instance counts its tasks but the removed ones, and only a task's row
-- says it is removed, so the count read the row of every task of the
-- instance. With these the count is the instance's links less its removed
-- links, each read from its key alone (sqlite/list.go). A task's links are
-- copied here when it becomes REMOVED, dropped should it leave that status
-- (the engine never moves it out), and go with the task when it is pruned.
CREATE TABLE task_instances_removed (
    tenant      TEXT    NOT NULL,
    instance_id TEXT    NOT NULL,
    task_id     INTEGER NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    PRIMARY KEY (tenant, instance_id, task_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX task_instances_removed_task_id ON task_instances_removed (task_id);
INSERT INTO task_instances_removed (tenant, instance_id, task_id)
    SELECT i.tenant, i.instance_id, i.task_id FROM tasks AS t CROSS JOIN task_instances AS i ON i.task_id = t.id
    WHERE t.status = 'REMOVED' ORDER BY 1, 2, 3;

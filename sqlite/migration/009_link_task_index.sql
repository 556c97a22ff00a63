-- Deleting a task deletes its rows of task_instances (ON DELETE CASCADE),
-- which SQLite finds by task_id: without an index on it, every pruned task
-- read the whole table. task_queue and task_events have theirs (002, 001).
CREATE INDEX task_instances_task_id ON task_instances (task_id);

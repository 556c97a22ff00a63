-- A plan locks the queues of its instances and of every instance of a task
-- queued on them. Finding those other instances took a read of the whole
-- queues, joined to tasks, before the locks; only tasks on several
-- instances add any, and they are rare. Their queue rows are now marked, and
-- a partial index of the marked rows makes that first read a few index
-- probes that usually find nothing.
ALTER TABLE task_queue ADD COLUMN shared boolean NOT NULL DEFAULT false;

UPDATE task_queue q SET shared = true FROM tasks t WHERE t.id = q.task_id AND cardinality(t.instance_ids) > 1;

CREATE INDEX task_queue_shared ON task_queue (tenant, instance_id) INCLUDE (task_id) WHERE shared;

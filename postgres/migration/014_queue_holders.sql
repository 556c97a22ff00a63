-- The queued task that holds an instance (INITIAL or RUNNING), marked in
-- task_queue and found by a partial index. A plan of an instance's queue
-- needs only its holder and its oldest waiting task whose time has come;
-- without the mark it read every task queued there to find the holder, so
-- a backlog of n tasks on one instance cost n reads at each of its n
-- starts.
ALTER TABLE task_queue ADD COLUMN holds boolean NOT NULL DEFAULT false;

UPDATE task_queue q SET holds = true FROM tasks t WHERE t.id = q.task_id AND t.status IN ('INITIAL', 'RUNNING');

CREATE INDEX task_queue_holders ON task_queue (tenant, instance_id) INCLUDE (task_id) WHERE holds;

-- The queued task that holds an instance (INITIAL or RUNNING), marked in
-- task_queue and found by a partial index. A plan of an instance's queue
-- needs only its holder and its first waiting task whose time has come;
-- without the mark it read every task queued there to find the holder, so
-- a backlog of n tasks on one instance cost n reads at each of its n
-- starts.
ALTER TABLE task_queue ADD COLUMN holds INTEGER NOT NULL DEFAULT 0;
UPDATE task_queue SET holds = 1
    WHERE task_id IN (SELECT id FROM tasks WHERE status = 'INITIAL' OR status = 'RUNNING');
CREATE INDEX task_queue_holders ON task_queue (tenant, instance_id) WHERE holds;

-- The engine: exclusivity and attempt start on tasks, the per-instance queue
-- of exclusive tasks, indexes for claims and maintenance, and named leases.

ALTER TABLE tasks ADD COLUMN exclusive INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tasks ADD COLUMN claimed_at INTEGER NOT NULL DEFAULT 0;

-- Exclusive tasks that are WAITING, INITIAL or RUNNING, one row per instance:
-- what PlanPromotions looks at, kept small whatever the history.
CREATE TABLE task_queue (
    tenant      TEXT    NOT NULL,
    instance_id TEXT    NOT NULL,
    task_id     INTEGER NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    PRIMARY KEY (tenant, instance_id, task_id)
) STRICT;
CREATE INDEX task_queue_task_id ON task_queue (task_id);

CREATE INDEX tasks_ready ON tasks (id) WHERE status = 'INITIAL';
CREATE INDEX tasks_waiting ON tasks (run_after) WHERE status = 'WAITING';
CREATE INDEX tasks_running ON tasks (lease_expires_at) WHERE status = 'RUNNING';
CREATE INDEX tasks_ended ON tasks (ended_at) WHERE status IN ('SUCCEED', 'FAILED', 'KILLED', 'REMOVED');

CREATE TABLE leases (
    name       TEXT    PRIMARY KEY,
    owner      TEXT    NOT NULL,
    expires_at INTEGER NOT NULL
) STRICT;

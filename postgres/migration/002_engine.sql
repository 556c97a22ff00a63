-- The engine: exclusivity and attempt start on tasks, the per-instance queue
-- of exclusive tasks, indexes for claims and maintenance, and named leases.
-- task_instances and task_events already cascade on task deletion (001).

ALTER TABLE tasks ADD COLUMN exclusive boolean NOT NULL DEFAULT false;
ALTER TABLE tasks ADD COLUMN claimed_at timestamptz;

-- Exclusive tasks that are WAITING, INITIAL or RUNNING, one row per instance:
-- what PlanPromotions looks at, kept small whatever the history. Changes to
-- the queue of an instance are made while its instances row is locked.
CREATE TABLE task_queue (
    tenant      text COLLATE "C" NOT NULL,
    instance_id text COLLATE "C" NOT NULL,
    task_id     bigint NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    PRIMARY KEY (tenant, instance_id, task_id)
);

CREATE INDEX task_queue_task_id ON task_queue (task_id);

CREATE INDEX tasks_ready ON tasks (id) WHERE status = 'INITIAL';
CREATE INDEX tasks_waiting ON tasks (run_after) WHERE status = 'WAITING';
CREATE INDEX tasks_running ON tasks (lease_expires_at) WHERE status = 'RUNNING';
CREATE INDEX tasks_ended ON tasks (ended_at) WHERE status IN ('SUCCEED', 'FAILED', 'KILLED', 'REMOVED');

CREATE TABLE leases (
    name       text COLLATE "C" PRIMARY KEY,
    owner      text NOT NULL,
    expires_at timestamptz NOT NULL
);

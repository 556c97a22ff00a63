-- The first schema of taskcenter. The postgres store has the same tables and
-- columns under the same migration number. Times are unix milliseconds, 0 when
-- unset; durations are milliseconds; JSON columns hold text.

CREATE TABLE instances (
    tenant     TEXT    NOT NULL,
    id         TEXT    NOT NULL,
    name       TEXT    NOT NULL DEFAULT '',
    engine     TEXT    NOT NULL DEFAULT '',
    region     TEXT    NOT NULL DEFAULT '',
    status     TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (tenant, id)
) STRICT;

CREATE TABLE tasks (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant           TEXT    NOT NULL,
    type             TEXT    NOT NULL,
    status           TEXT    NOT NULL,
    progress         INTEGER NOT NULL DEFAULT 0,
    code             INTEGER NOT NULL DEFAULT 0,
    message          TEXT    NOT NULL DEFAULT '',
    instance_ids     TEXT    NOT NULL DEFAULT '[]',
    async_request_id TEXT    NOT NULL DEFAULT '',
    created_at       INTEGER NOT NULL,
    started_at       INTEGER NOT NULL DEFAULT 0,
    ended_at         INTEGER NOT NULL DEFAULT 0,
    updated_at       INTEGER NOT NULL,
    context          TEXT    NOT NULL DEFAULT '{}',
    attach_info      TEXT    NOT NULL DEFAULT '[]',
    attempts         INTEGER NOT NULL DEFAULT 0,
    max_attempts     INTEGER NOT NULL DEFAULT 0,
    run_after        INTEGER NOT NULL DEFAULT 0,
    timeout_ms       INTEGER NOT NULL DEFAULT 0,
    lease_owner      TEXT    NOT NULL DEFAULT '',
    lease_expires_at INTEGER NOT NULL DEFAULT 0,
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    pause_requested  INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE INDEX tasks_tenant_id ON tasks (tenant, id);
CREATE INDEX tasks_tenant_status_id ON tasks (tenant, status, id);
CREATE INDEX tasks_tenant_type_id ON tasks (tenant, type, id);
CREATE INDEX tasks_tenant_created_at ON tasks (tenant, created_at);
CREATE UNIQUE INDEX tasks_tenant_async_request_id ON tasks (tenant, async_request_id)
    WHERE async_request_id <> '';

-- One row per instance of a task, for the per-instance lists.
CREATE TABLE task_instances (
    tenant      TEXT    NOT NULL,
    instance_id TEXT    NOT NULL,
    task_id     INTEGER NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    PRIMARY KEY (tenant, instance_id, task_id)
) STRICT;

CREATE TABLE task_events (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    task_id     INTEGER NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    tenant      TEXT    NOT NULL,
    at          INTEGER NOT NULL,
    from_status TEXT    NOT NULL,
    to_status   TEXT    NOT NULL,
    progress    INTEGER NOT NULL,
    message     TEXT    NOT NULL DEFAULT '',
    actor       TEXT    NOT NULL DEFAULT ''
) STRICT;

CREATE INDEX task_events_task_id_seq ON task_events (task_id, seq);

CREATE TABLE task_types (
    key          TEXT    PRIMARY KEY,
    tencent_code INTEGER NOT NULL DEFAULT 0,
    description  TEXT    NOT NULL DEFAULT '',
    exclusive    INTEGER NOT NULL DEFAULT 1,
    timeout_ms   INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE TABLE credentials (
    id         TEXT    PRIMARY KEY,
    tenant     TEXT    NOT NULL DEFAULT '',
    kind       TEXT    NOT NULL,
    role       TEXT    NOT NULL,
    secret     TEXT    NOT NULL DEFAULT '',
    token_hash TEXT    NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL
) STRICT;

CREATE UNIQUE INDEX credentials_token_hash ON credentials (token_hash) WHERE token_hash <> '';

-- Times are timestamptz at millisecond precision; NULL means unset (a zero time.Time).
-- Ids and keys that lists order by use the "C" collation, so order is byte order as in SQLite.

CREATE TABLE instances (
    tenant     text COLLATE "C" NOT NULL,
    id         text COLLATE "C" NOT NULL,
    name       text NOT NULL DEFAULT '',
    engine     text NOT NULL DEFAULT '',
    region     text NOT NULL DEFAULT '',
    status     text NOT NULL DEFAULT '',
    created_at timestamptz,
    updated_at timestamptz,
    PRIMARY KEY (tenant, id)
);

CREATE TABLE tasks (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant           text COLLATE "C" NOT NULL,
    type             text NOT NULL,
    status           text NOT NULL,
    progress         integer NOT NULL DEFAULT 0,
    code             integer NOT NULL DEFAULT 0,
    message          text NOT NULL DEFAULT '',
    instance_ids     text[] NOT NULL DEFAULT '{}',
    async_request_id text NOT NULL DEFAULT '',
    created_at       timestamptz,
    started_at       timestamptz,
    ended_at         timestamptz,
    updated_at       timestamptz,
    -- json, not jsonb: the context is kept as the client wrote it.
    context          json NOT NULL DEFAULT '{}',
    attach_info      jsonb,
    attempts         integer NOT NULL DEFAULT 0,
    max_attempts     integer NOT NULL DEFAULT 0,
    run_after        timestamptz,
    timeout_ms       bigint NOT NULL DEFAULT 0,
    lease_owner      text NOT NULL DEFAULT '',
    lease_expires_at timestamptz,
    cancel_requested boolean NOT NULL DEFAULT false,
    pause_requested  boolean NOT NULL DEFAULT false
);

CREATE INDEX tasks_tenant_id ON tasks (tenant, id);
CREATE INDEX tasks_tenant_status_id ON tasks (tenant, status, id);
CREATE INDEX tasks_tenant_type_id ON tasks (tenant, type, id);
CREATE INDEX tasks_tenant_created_at ON tasks (tenant, created_at);
CREATE UNIQUE INDEX tasks_tenant_async_request_id ON tasks (tenant, async_request_id)
    WHERE async_request_id <> '';

-- One row per instance of a task, for the per-instance lists.
CREATE TABLE task_instances (
    tenant      text COLLATE "C" NOT NULL,
    instance_id text COLLATE "C" NOT NULL,
    task_id     bigint NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    PRIMARY KEY (tenant, instance_id, task_id)
);

CREATE INDEX task_instances_task_id ON task_instances (task_id);

CREATE TABLE task_events (
    seq         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    task_id     bigint NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    tenant      text COLLATE "C" NOT NULL,
    at          timestamptz,
    from_status text NOT NULL DEFAULT '',
    to_status   text NOT NULL,
    progress    integer NOT NULL DEFAULT 0,
    message     text NOT NULL DEFAULT '',
    actor       text NOT NULL DEFAULT ''
);

CREATE INDEX task_events_task_id_seq ON task_events (task_id, seq);

CREATE TABLE task_types (
    key          text COLLATE "C" PRIMARY KEY,
    tencent_code integer NOT NULL DEFAULT 0,
    description  text NOT NULL DEFAULT '',
    exclusive    boolean NOT NULL DEFAULT false,
    timeout_ms   bigint NOT NULL DEFAULT 0,
    max_attempts integer NOT NULL DEFAULT 0
);

CREATE TABLE credentials (
    id         text COLLATE "C" PRIMARY KEY,
    tenant     text COLLATE "C" NOT NULL DEFAULT '',
    kind       text NOT NULL,
    role       text NOT NULL,
    secret     text NOT NULL DEFAULT '',
    token_hash text NOT NULL DEFAULT '',
    created_at timestamptz
);

CREATE UNIQUE INDEX credentials_token_hash ON credentials (token_hash) WHERE token_hash <> '';

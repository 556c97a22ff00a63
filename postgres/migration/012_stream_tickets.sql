-- stream_tickets holds the live event stream tickets, by the SHA-256 of
-- their text, for every replica that shares this database: the console may
-- open its stream on another replica than the one that issued the ticket.
-- owner is the asking credential's own tenant ('' for an administrator),
-- tenant the one the stream may show. Maintenance deletes expired rows.
CREATE TABLE stream_tickets (
    hash          bytea       PRIMARY KEY,
    credential_id text        NOT NULL,
    owner         text        NOT NULL,
    tenant        text        NOT NULL,
    expires_at    timestamptz NOT NULL
);
CREATE INDEX stream_tickets_credential_id ON stream_tickets (credential_id);
CREATE INDEX stream_tickets_owner ON stream_tickets (owner);
CREATE INDEX stream_tickets_expires_at ON stream_tickets (expires_at);

-- Idempotency-Key (DESIGN, HTTP): a retried write answers as the first attempt did. One row per
-- user and key, first "pending" while the request runs, then the response to replay.
CREATE TABLE idempotency_key (
    user_id       uuid NOT NULL,
    key           text NOT NULL,
    -- Method and target of the request the key was first used with.
    request       text NOT NULL,
    state         text NOT NULL CHECK (state IN ('pending', 'done')),
    status        integer,
    content_type  text,
    body          bytea,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, key)
);
CREATE INDEX idempotency_key_age ON idempotency_key (created_at);

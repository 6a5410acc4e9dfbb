-- Invitation tasks (邀约任务, M3; seed §9 邀约任务创建 / 邀约任务跟进): the marketing manager picks
-- customers for an event and hands each to a consultant, who follows them up.

-- The prospects Marketing knows, kept from `prospects.prospect.changed.v1`: each row is Prospects'
-- last word (`changed_at`); an older event changes nothing. The manager picks invitees from it.
CREATE TABLE customer_prospect (
    prospect_id      uuid PRIMARY KEY,
    store_id         uuid NOT NULL,
    name             text NOT NULL,
    mobile           text NOT NULL,
    source           text NOT NULL,
    level            text NOT NULL,
    brand            text,
    series           text,
    model            text,
    state            text NOT NULL,
    consultant_id    uuid,
    in_recycle_bin   boolean NOT NULL,
    changed_at       timestamptz NOT NULL
);
CREATE INDEX customer_prospect_of_store ON customer_prospect (store_id, mobile);

-- One customer to invite to one event, assigned to a consultant; one task per mobile and event.
-- `result` is the last follow-up's (NULL until the first).
CREATE TABLE invitation_task (
    id                 uuid PRIMARY KEY,
    event_id           uuid NOT NULL REFERENCES marketing_event,
    store_id           uuid NOT NULL,
    mobile             text NOT NULL,
    name               text,
    prospect_id        uuid,
    consultant_id      uuid NOT NULL,
    result             text CHECK (result IN ('invited', 'declined', 'unreachable')),
    follow_up_count    integer NOT NULL DEFAULT 0,
    last_follow_up_at  timestamptz,
    next_follow_up_on  date,
    created_by         uuid NOT NULL,
    created_at         timestamptz NOT NULL DEFAULT now(),
    UNIQUE (event_id, mobile)
);
CREATE INDEX invitation_task_listed ON invitation_task (store_id, created_at DESC, id);
CREATE INDEX invitation_task_of_consultant ON invitation_task (consultant_id, created_at DESC, id);

-- A consultant's follow-up of an invitation task (邀约任务跟进).
CREATE TABLE invitation_follow_up (
    id                 uuid PRIMARY KEY,
    task_id            uuid NOT NULL REFERENCES invitation_task ON DELETE CASCADE,
    method             text NOT NULL,
    content            text NOT NULL,
    result             text NOT NULL CHECK (result IN ('invited', 'declined', 'unreachable')),
    note               text,
    next_follow_up_on  date,
    recorded_by        uuid NOT NULL,
    recorded_at        timestamptz NOT NULL
);
CREATE INDEX invitation_follow_up_of_task ON invitation_follow_up (task_id, recorded_at, id);

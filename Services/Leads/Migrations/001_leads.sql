-- Online sales leads (网销线索, L1–L8). One lead per store and normalised mobile number.
CREATE TABLE lead (
    id             uuid PRIMARY KEY,
    store_id       uuid NOT NULL,
    name           text NOT NULL,
    mobile         text NOT NULL,
    gender         text CHECK (gender IN ('male', 'female')),
    -- Where it came from: autohome (汽车之家), yiche (易车), dongchedi (懂车帝), website, phone, other.
    source         text NOT NULL,
    province       text,
    city           text,
    brand          text,
    series         text,
    model          text,
    -- Intent level (意向级别): H (within 7 days), A, B, C.
    level          text NOT NULL CHECK (level IN ('H', 'A', 'B', 'C')),
    -- new → assigned → (defeated → new again when re-activated)
    state          text NOT NULL CHECK (state IN ('new', 'assigned', 'defeated')),
    consultant_id  uuid,
    assigned_at    timestamptz,
    defeat_reason  text,
    defeated_at    timestamptz,
    note           text,
    created_by     uuid,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (store_id, mobile)
);
CREATE INDEX lead_list ON lead (store_id, created_at DESC, id);
CREATE INDEX lead_by_consultant ON lead (store_id, consultant_id, state);

-- Leads filtered out as duplicates (重复线索列表): what came in, from where, and why.
CREATE TABLE duplicate_lead (
    id          uuid PRIMARY KEY,
    store_id    uuid NOT NULL,
    lead_id     uuid NOT NULL REFERENCES lead,
    name        text NOT NULL,
    mobile      text NOT NULL,
    source      text NOT NULL,
    -- exists: the store has a lead with this mobile; repeated_in_import: twice in one import.
    reason      text NOT NULL CHECK (reason IN ('exists', 'repeated_in_import')),
    note        text,
    created_by  uuid,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX duplicate_lead_list ON duplicate_lead (store_id, created_at DESC, id);

-- Follow-up tasks (线索跟进任务): one open task per lead at most, due on a day of the store's clock.
CREATE TABLE lead_task (
    id             uuid PRIMARY KEY,
    store_id       uuid NOT NULL,
    lead_id        uuid NOT NULL REFERENCES lead,
    consultant_id  uuid,
    due_on         date NOT NULL,
    state          text NOT NULL CHECK (state IN ('open', 'done', 'cancelled')),
    created_at     timestamptz NOT NULL DEFAULT now(),
    done_at        timestamptz
);
CREATE UNIQUE INDEX lead_task_one_open ON lead_task (lead_id) WHERE state = 'open';
CREATE INDEX lead_task_list ON lead_task (store_id, state, due_on);

-- Follow-up records (线索跟进记录).
CREATE TABLE lead_follow_up (
    id             uuid PRIMARY KEY,
    store_id       uuid NOT NULL,
    lead_id        uuid NOT NULL REFERENCES lead,
    consultant_id  uuid NOT NULL,
    channel        text NOT NULL CHECK (channel IN ('phone', 'sms', 'wechat', 'visit', 'other')),
    content        text NOT NULL,
    level          text NOT NULL CHECK (level IN ('H', 'A', 'B', 'C')),
    next_on        date,
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX lead_follow_up_lead ON lead_follow_up (lead_id, created_at);

-- The store's lead rules (线索规则): days until the next follow-up per intent level.
CREATE TABLE lead_rule (
    store_id       uuid NOT NULL,
    level          text NOT NULL CHECK (level IN ('H', 'A', 'B', 'C')),
    interval_days  integer NOT NULL CHECK (interval_days BETWEEN 0 AND 365),
    PRIMARY KEY (store_id, level)
);

-- Automatic assignment (自动分配): which consultants take leads and how many a day.
CREATE TABLE lead_consultant (
    store_id       uuid NOT NULL,
    user_id        uuid NOT NULL,
    available      boolean NOT NULL DEFAULT true,
    -- Leads a day at most; NULL for no cap.
    daily_cap      integer CHECK (daily_cap >= 0),
    PRIMARY KEY (store_id, user_id)
);

-- Coupons (优惠券, C1–C5; seed §6, §8.1). Money is in yuan, numeric(12,2); days are the issuing
-- store's calendar days; instants are UTC.

-- The counters behind the numbers staff quote: M… definitions, KS/TJ/DB… issuing tasks
-- (ServiceKit's DocumentNumbers).
CREATE TABLE document_sequence (
    store_id  uuid NOT NULL,
    prefix    text NOT NULL,
    day       date NOT NULL,
    last      integer NOT NULL,
    PRIMARY KEY (store_id, prefix, day)
);

-- A coupon definition (新增优惠券, C1), written by the finance director. `issued` counts every
-- coupon ever issued from it — revoked ones included — and may never pass `quantity`: the CHECK
-- is the last line of defence behind the issuing code, which locks this row before it issues.
CREATE TABLE coupon_definition (
    id                  uuid PRIMARY KEY,
    number              text NOT NULL,
    store_id            uuid NOT NULL,
    group_id            uuid NOT NULL,
    name                text NOT NULL,
    kind                text NOT NULL,
    -- Yuan off; NULL for a coupon that covers items or a package (`covers`) instead.
    face_value          numeric(12,2) CHECK (face_value > 0),
    covers              text,
    minimum_spend       numeric(12,2) CHECK (minimum_spend >= 0),
    quantity            integer NOT NULL CHECK (quantity > 0),
    issued              integer NOT NULL DEFAULT 0,
    per_customer_limit  integer NOT NULL CHECK (per_customer_limit > 0),
    -- 'fixed': from `valid_from` to `valid_until`; 'days_from_issue': `valid_days` days counting the day of issue.
    validity            text NOT NULL CHECK (validity IN ('fixed', 'days_from_issue')),
    valid_from          date,
    valid_until         date,
    valid_days          integer CHECK (valid_days > 0),
    usable_in           text NOT NULL CHECK (usable_in IN ('store', 'group')),
    description         text NOT NULL,
    enabled             boolean NOT NULL DEFAULT true,
    created_by          uuid NOT NULL,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CHECK (issued >= 0 AND issued <= quantity),
    CHECK (face_value IS NOT NULL OR covers IS NOT NULL),
    CHECK ((validity = 'fixed') = (valid_from IS NOT NULL AND valid_until IS NOT NULL AND valid_until >= valid_from)),
    CHECK ((validity = 'days_from_issue') = (valid_days IS NOT NULL)),
    -- Numbers count per store and day, as every document number does.
    UNIQUE (store_id, number)
);
CREATE INDEX coupon_definition_listed ON coupon_definition (store_id, created_at DESC, id);

-- How many coupons of a definition each customer (by mobile) holds, for the per-customer limit.
-- Written only while the definition's row is locked, so reading it there is exact.
CREATE TABLE coupon_holding (
    definition_id  uuid NOT NULL REFERENCES coupon_definition,
    mobile         text NOT NULL,
    issued         integer NOT NULL CHECK (issued > 0),
    PRIMARY KEY (definition_id, mobile)
);

-- An issuing task (发放任务, C2): quick (one customer), conditional (customers matching
-- filters) or imported (a list); it pushes coupons at once or publishes a claim link.
CREATE TABLE issue_task (
    id                uuid PRIMARY KEY,
    number            text NOT NULL,
    store_id          uuid NOT NULL,
    kind              text NOT NULL CHECK (kind IN ('quick', 'conditional', 'imported')),
    name              text NOT NULL,
    definition_id     uuid NOT NULL REFERENCES coupon_definition,
    mode              text NOT NULL CHECK (mode IN ('push', 'claim')),
    per_person        integer NOT NULL CHECK (per_person > 0),
    conditions        jsonb NOT NULL DEFAULT '{}',
    state             text NOT NULL CHECK (state IN ('draft', 'awaiting_approval', 'rejected', 'issued', 'claiming', 'closed')),
    -- The secret in a claim task's link (领券链接); a customer claims by it, without logging in.
    claim_token       text UNIQUE,
    -- What the push issued: customers and coupons, and those skipped at their per-customer limit.
    customers_issued  integer NOT NULL DEFAULT 0,
    coupons_issued    integer NOT NULL DEFAULT 0,
    customers_skipped integer NOT NULL DEFAULT 0,
    created_by        uuid NOT NULL,
    created_at        timestamptz NOT NULL DEFAULT now(),
    -- Who last wrote the draft: with the author and the publisher, who may not approve it.
    updated_by        uuid NOT NULL,
    updated_at        timestamptz NOT NULL DEFAULT now(),
    published_by      uuid,
    published_at      timestamptz,
    decided_by        uuid,
    decided_at        timestamptz,
    rejection_reason  text,
    issued_at         timestamptz,
    UNIQUE (store_id, number)
);
CREATE INDEX issue_task_listed ON issue_task (store_id, created_at DESC, id);

-- The customers of a quick or imported task, by mobile.
CREATE TABLE issue_task_recipient (
    task_id  uuid NOT NULL REFERENCES issue_task ON DELETE CASCADE,
    mobile   text NOT NULL,
    name     text,
    PRIMARY KEY (task_id, mobile)
);

-- One issued coupon (发放明细, C3). `effective_until` is 00:00 of the day after `last_day` on the
-- issuing store's clock: the coupon is valid while effective_from <= now < effective_until.
-- 'expired' is not stored: it is an unused coupon past `effective_until`.
CREATE TABLE coupon (
    id                 uuid PRIMARY KEY,
    code               text NOT NULL UNIQUE,
    definition_id      uuid NOT NULL REFERENCES coupon_definition,
    task_id            uuid REFERENCES issue_task,
    store_id           uuid NOT NULL,
    group_id           uuid NOT NULL,
    usable_in          text NOT NULL CHECK (usable_in IN ('store', 'group')),
    mobile             text NOT NULL,
    customer_name      text,
    effective_from     timestamptz NOT NULL,
    effective_until    timestamptz NOT NULL,
    last_day           date NOT NULL,
    state              text NOT NULL CHECK (state IN ('unused', 'used', 'revoked', 'revocation_pending')),
    issued_at          timestamptz NOT NULL,
    issued_by          uuid,
    used_at            timestamptz,
    used_store_id      uuid,
    used_by            uuid,
    used_by_name       text,
    order_kind         text CHECK (order_kind IN ('repair_order', 'sales_order')),
    order_number       text,
    order_amount       numeric(12,2),
    revoked_at         timestamptz,
    CHECK ((state = 'used') = (used_at IS NOT NULL))
);
CREATE INDEX coupon_of_store ON coupon (store_id, issued_at DESC, id);
CREATE INDEX coupon_of_group ON coupon (group_id, issued_at DESC, id) WHERE usable_in = 'group';
CREATE INDEX coupon_of_mobile ON coupon (mobile);
CREATE INDEX coupon_of_definition ON coupon (definition_id, state);
CREATE INDEX coupon_of_task ON coupon (task_id);

-- A request to revoke an unused coupon (删除, C5), with the customer's explanation. With the
-- group's approval switch on it waits for HQ ('pending'); otherwise it is approved at once.
CREATE TABLE coupon_revocation (
    id              uuid PRIMARY KEY,
    coupon_id       uuid NOT NULL REFERENCES coupon,
    store_id        uuid NOT NULL,
    group_id        uuid NOT NULL,
    explanation     text NOT NULL,
    state           text NOT NULL CHECK (state IN ('pending', 'approved', 'rejected')),
    requested_by    uuid NOT NULL,
    requested_at    timestamptz NOT NULL,
    decided_by      uuid,
    decided_at      timestamptz,
    decision_note   text
);
-- One open request per coupon at a time.
CREATE UNIQUE INDEX coupon_revocation_open ON coupon_revocation (coupon_id) WHERE state = 'pending';
CREATE INDEX coupon_revocation_listed ON coupon_revocation (group_id, state, requested_at DESC, id);

-- The store's coupon rules: whether issuing tasks wait for a manager's approval (C2).
CREATE TABLE store_settings (
    store_id       uuid PRIMARY KEY,
    task_approval  boolean NOT NULL DEFAULT false,
    updated_by     uuid,
    updated_at     timestamptz NOT NULL DEFAULT now()
);

-- The group's coupon rules: 优惠券审核开关 (seed §8.1) — revocations wait for HQ.
CREATE TABLE group_settings (
    group_id             uuid PRIMARY KEY,
    revocation_approval  boolean NOT NULL DEFAULT false,
    updated_by           uuid,
    updated_at           timestamptz NOT NULL DEFAULT now()
);

-- Insurance renewal solicitation (续保招揽, SPEC AS6; seed 000 §5.3 and §8.3 续保招揽设置).
-- (005 is reserved for the solicitation campaigns.)

-- The store's renewal rules, one row per store that saved any; a store without a row has the
-- defaults (90 and 30). A car's task opens at stage 1 (一级续保招揽) `level1_days` days before its
-- insurance expires and moves to stage 2 (二级续保招揽) `level2_days` days before, on the store's
-- calendar.
CREATE TABLE renewal_setting (
    store_id     uuid PRIMARY KEY,
    level1_days  integer NOT NULL CHECK (level1_days BETWEEN 1 AND 365),
    level2_days  integer NOT NULL CHECK (level2_days BETWEEN 1 AND 365),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    CHECK (level2_days < level1_days)
);

-- One renewal task per car and policy cycle: `insurance_expiry` is the last day of the policy
-- the task is about (the car's expiry when the task opened). The unique key is what makes the
-- background pass create each task exactly once, however many crm-aftersales run it.
-- `state`: open (跟进中) → renewed (续保成功) | expired (已失效: the day passed unrenewed) |
-- defeated (战败, with a reason of the dictionary `afterSalesDefeatReason`).
CREATE TABLE renewal_task (
    id                 uuid PRIMARY KEY,
    store_id           uuid NOT NULL,
    vehicle_id         uuid NOT NULL REFERENCES vehicle (id),
    vin                text NOT NULL,
    insurance_expiry   date NOT NULL,
    stage              text NOT NULL CHECK (stage IN ('level1', 'level2')),
    state              text NOT NULL CHECK (state IN ('open', 'renewed', 'expired', 'defeated')),
    assignee_id        uuid,
    assigned_at        timestamptz,
    -- The store's day the task opened (续保提醒生成时间).
    created_on         date NOT NULL,
    next_follow_up_on  date,
    last_follow_up_at  timestamptz,
    defeat_reason      text,
    closed_at          timestamptz,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    UNIQUE (vehicle_id, insurance_expiry),
    CHECK ((state = 'open') = (closed_at IS NULL)),
    CHECK ((state = 'defeated') = (defeat_reason IS NOT NULL))
);

-- The list's order (soonest expiry first) and the pass's look at a store's open tasks.
CREATE INDEX renewal_task_listed ON renewal_task (store_id, insurance_expiry, id);
CREATE INDEX renewal_task_open ON renewal_task (store_id, state, stage) WHERE state = 'open';
CREATE INDEX renewal_task_assignee ON renewal_task (assignee_id, state);
-- The pass's look for the cars whose insurance expires within the store's stage-1 window.
CREATE INDEX vehicle_insurance_expiry ON vehicle (store_id, insurance_expiry) WHERE insurance_expiry IS NOT NULL;

-- Follow-up records of a task (续保招揽跟进记录): the stage it was at, who, when, the note, the
-- next follow-up day and, for the one that defeated it, the reason.
CREATE TABLE renewal_follow_up (
    id                 uuid PRIMARY KEY,
    task_id            uuid NOT NULL REFERENCES renewal_task (id),
    store_id           uuid NOT NULL,
    stage              text NOT NULL CHECK (stage IN ('level1', 'level2')),
    author_id          uuid NOT NULL,
    recorded_at        timestamptz NOT NULL,
    note               text NOT NULL,
    defeat_reason      text,
    next_follow_up_on  date
);

CREATE INDEX renewal_follow_up_task ON renewal_follow_up (task_id, recorded_at, id);

-- Renewed policies (保险记录), entered by staff or received from the ERP
-- (`erp.insurance_policy.issued.v1`). One row per store, insurer and policy number: an ERP
-- that sends the same policy again, under a new event id, changes nothing. `task_id` is the
-- renewal task the policy succeeded, if it came in time for one. Premium in yuan.
CREATE TABLE insurance_renewal (
    id           uuid PRIMARY KEY,
    store_id     uuid NOT NULL,
    vehicle_id   uuid NOT NULL REFERENCES vehicle (id),
    vin          text NOT NULL,
    task_id      uuid UNIQUE REFERENCES renewal_task (id),
    insurer      text NOT NULL,
    policy_no    text NOT NULL,
    premium      numeric(12,2) NOT NULL CHECK (premium >= 0),
    new_expiry   date NOT NULL,
    -- The store's day the policy was issued.
    issued_on    date NOT NULL,
    source       text NOT NULL CHECK (source IN ('crm', 'erp')),
    recorded_by  uuid,
    recorded_at  timestamptz NOT NULL,
    UNIQUE (store_id, insurer, policy_no)
);

CREATE INDEX insurance_renewal_vehicle ON insurance_renewal (vehicle_id, issued_on DESC);

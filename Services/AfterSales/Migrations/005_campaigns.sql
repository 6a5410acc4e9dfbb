-- Solicitation campaigns (售后招揽, AS4; seed §5.1, §5.2). The after-sales director writes a
-- campaign as a draft — what it is for, its period, how customers are contacted, and which cars
-- it targets (conditions on the customer file, or an imported list of cars) — previews it and
-- publishes it. It goes live at 00:00 of the store's next day (`goes_live_at`), when a
-- scheduler creates one task per targeted car; it ends after its last day (`ends_at`).
CREATE TABLE campaign (
    id                uuid PRIMARY KEY,
    store_id          uuid NOT NULL,
    kind              text NOT NULL,
    name              text NOT NULL,
    starts_on         date NOT NULL,
    ends_on           date NOT NULL CHECK (ends_on >= starts_on),
    contact_methods   text[] NOT NULL,
    description       text,
    -- 'conditions': the cars the conditions select at go-live; 'list': the imported cars.
    target_mode       text NOT NULL CHECK (target_mode IN ('conditions', 'list')),
    -- CampaignConditions as JSON; empty for a list.
    conditions        jsonb NOT NULL DEFAULT '{}',
    -- How tasks are assigned at go-live: the car's current SA, or spread evenly over `assignees`.
    assignment        text NOT NULL CHECK (assignment IN ('current_sa', 'evenly')),
    assignees         uuid[] NOT NULL DEFAULT '{}',
    state             text NOT NULL CHECK (state IN ('draft', 'published', 'live', 'ended')),
    published_at      timestamptz,
    published_by      uuid,
    -- 00:00 of the go-live day on the store's clock, and the end of the last day.
    goes_live_at      timestamptz,
    ends_at           timestamptz,
    went_live_at      timestamptz,
    ended_at          timestamptz,
    created_by        uuid NOT NULL,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    CHECK ((state = 'draft') = (goes_live_at IS NULL))
);

CREATE INDEX campaign_listed ON campaign (store_id, created_at DESC, id);
-- The scheduler's two questions: which campaigns are due to go live, which to end.
CREATE INDEX campaign_going_live ON campaign (goes_live_at) WHERE state = 'published';
CREATE INDEX campaign_ending ON campaign (ends_at) WHERE state = 'live';

-- The cars of an imported list (创建方式: 导入), resolved from VINs or plates at import.
CREATE TABLE campaign_listed_vehicle (
    campaign_id  uuid NOT NULL REFERENCES campaign ON DELETE CASCADE,
    vehicle_id   uuid NOT NULL REFERENCES vehicle,
    PRIMARY KEY (campaign_id, vehicle_id)
);

-- One car of a live campaign, followed up by an SA. `customer_class` is the class at go-live,
-- which sets the follow-up interval. Success (招揽成功) is the first repair order of the car
-- opened between go-live and the end; `failed` is not back by the end; `defeated` is given up
-- by the SA with a reason of the store's `afterSalesDefeatReason` dictionary.
CREATE TABLE campaign_task (
    id                     uuid PRIMARY KEY,
    campaign_id            uuid NOT NULL REFERENCES campaign,
    store_id               uuid NOT NULL,
    vehicle_id             uuid NOT NULL REFERENCES vehicle,
    vin                    text NOT NULL,
    customer_class         text NOT NULL,
    service_advisor_id     uuid,
    service_advisor_name   text,
    state                  text NOT NULL CHECK (state IN ('open', 'succeeded', 'defeated', 'failed')),
    next_follow_up_on      date,
    follow_up_count        integer NOT NULL DEFAULT 0,
    last_followed_up_at    timestamptz,
    defeat_reason          text,
    defeat_note            text,
    defeated_by            uuid,
    defeated_at            timestamptz,
    returned_repair_order  uuid,
    returned_ro_no         text,
    returned_at            timestamptz,
    closed_at              timestamptz,
    created_at             timestamptz NOT NULL DEFAULT now(),
    UNIQUE (campaign_id, vehicle_id)
);

CREATE INDEX campaign_task_listed ON campaign_task (campaign_id, state);
-- A repair order's question: which tasks does this car have in the store.
CREATE INDEX campaign_task_car ON campaign_task (store_id, vin);
CREATE INDEX campaign_task_advisor ON campaign_task (store_id, service_advisor_id, state);

-- What an SA recorded on a task (招揽跟进): how, what was said, the result, a note and when to
-- call again.
CREATE TABLE campaign_follow_up (
    id                 uuid PRIMARY KEY,
    task_id            uuid NOT NULL REFERENCES campaign_task,
    method             text NOT NULL,
    content            text NOT NULL,
    result             text NOT NULL,
    note               text,
    next_follow_up_on  date,
    recorded_by        uuid NOT NULL,
    recorded_by_name   text NOT NULL,
    recorded_at        timestamptz NOT NULL
);

CREATE INDEX campaign_follow_up_task ON campaign_follow_up (task_id, recorded_at);

-- The follow-up interval per customer class (售后招揽回访频次, seed §8.3), in days.
ALTER TABLE after_sales_setting
    ADD COLUMN follow_up_days_loyal     integer NOT NULL DEFAULT 3 CHECK (follow_up_days_loyal BETWEEN 1 AND 365),
    ADD COLUMN follow_up_days_favoured  integer NOT NULL DEFAULT 5 CHECK (follow_up_days_favoured BETWEEN 1 AND 365),
    ADD COLUMN follow_up_days_ordinary  integer NOT NULL DEFAULT 7 CHECK (follow_up_days_ordinary BETWEEN 1 AND 365),
    ADD COLUMN follow_up_days_lost      integer NOT NULL DEFAULT 7 CHECK (follow_up_days_lost BETWEEN 1 AND 365),
    ADD COLUMN follow_up_days_potential integer NOT NULL DEFAULT 10 CHECK (follow_up_days_potential BETWEEN 1 AND 365);

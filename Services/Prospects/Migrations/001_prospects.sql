-- Prospects (潜客, P1–P11): showroom visitors and everyone else a consultant is trying to sell
-- a car to. One prospect per store and normalised mobile number.

-- The store's switches and numbers (销售规则配置): defeat approval, the defeat pool, the public pool.
CREATE TABLE prospect_setting (
    store_id              uuid PRIMARY KEY,
    -- A consultant's defeat waits for a manager's approval (战败审核).
    defeat_approval       boolean NOT NULL DEFAULT false,
    -- 战败池: defeats for these reasons go to the pool; after 48 h other stores of the group see them.
    defeat_pool           boolean NOT NULL DEFAULT false,
    defeat_pool_reasons   text[] NOT NULL DEFAULT '{}',
    -- 客户公海: prospects whose task is this many days overdue are released to the pool.
    public_pool           boolean NOT NULL DEFAULT false,
    pool_overdue_days     integer NOT NULL DEFAULT 3 CHECK (pool_overdue_days BETWEEN 0 AND 365),
    -- Claim rules: claims per consultant per day, and days before a former owner may claim again.
    claim_daily_cap       integer NOT NULL DEFAULT 10 CHECK (claim_daily_cap BETWEEN 0 AND 1000),
    reclaim_block_days    integer NOT NULL DEFAULT 30 CHECK (reclaim_block_days BETWEEN 0 AND 365)
);

-- The store's follow-up rules (潜客跟进规则): days until the next follow-up per intent level.
CREATE TABLE prospect_rule (
    store_id       uuid NOT NULL,
    level          text NOT NULL CHECK (level IN ('H', 'A', 'B', 'C', 'O')),
    interval_days  integer NOT NULL CHECK (interval_days BETWEEN 0 AND 365),
    PRIMARY KEY (store_id, level)
);

CREATE TABLE prospect (
    id                      uuid PRIMARY KEY,
    store_id                uuid NOT NULL,
    name                    text NOT NULL,
    mobile                  text NOT NULL,
    landline                text,
    gender                  text CHECK (gender IN ('male', 'female')),
    province                text,
    city                    text,
    district                text,
    -- 登记大类: showroom (展厅), online (网络), key_account (大客户).
    category                text NOT NULL,
    -- 客户来源: walk_in (自然到店), referral (老客户介绍), showroom_event (展厅活动), factory_direct
    -- (厂家直购), secondary_dealer (二网), repurchase (重新购买), online_lead (网销线索),
    -- defeat_pool (from another store's defeat pool), other.
    source                  text NOT NULL,
    brand                   text,
    series                  text,
    model                   text,
    plate                   text,
    -- Intent level (意向级别): H, A, B, C; O once the ERP has an order.
    level                   text NOT NULL CHECK (level IN ('H', 'A', 'B', 'C', 'O')),
    -- active → (defeat_pending →) defeated → active again when re-activated; ordered; delivered (owner).
    state                   text NOT NULL CHECK (state IN ('active', 'defeat_pending', 'defeated', 'ordered', 'delivered')),
    consultant_id           uuid,
    assigned_at             timestamptz,
    -- The online lead whose data was carried over (P2).
    lead_id                 uuid,
    defeat_reason           text,
    defeat_note             text,
    defeat_requested_by     uuid,
    defeated_at             timestamptz,
    -- 战败池: when the defeat went to the pool, and which store took it from there.
    defeat_pool_since       timestamptz,
    defeat_pool_taken_by    uuid,
    -- 客户公海: released to the pool (no consultant), and who had it last.
    in_public_pool          boolean NOT NULL DEFAULT false,
    released_at             timestamptz,
    previous_consultant_id  uuid,
    previous_team_id        uuid,
    -- 延长期限: not released to the pool before this day.
    keep_until              date,
    -- 回收站: deleted prospects wait here until restored.
    deleted_at              timestamptz,
    deleted_by              uuid,
    note                    text,
    created_by              uuid,
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now(),
    UNIQUE (store_id, mobile)
);
CREATE INDEX prospect_list ON prospect (store_id, created_at DESC, id);
CREATE INDEX prospect_by_consultant ON prospect (store_id, consultant_id, state);
CREATE INDEX prospect_public_pool ON prospect (store_id, released_at) WHERE in_public_pool;
CREATE INDEX prospect_defeat_pool ON prospect (defeat_pool_since) WHERE defeat_pool_since IS NOT NULL AND defeat_pool_taken_by IS NULL;

-- Showroom traffic (流量登记): every registered visit, whether it made a prospect or not.
CREATE TABLE traffic (
    id            uuid PRIMARY KEY,
    store_id      uuid NOT NULL,
    prospect_id   uuid NOT NULL REFERENCES prospect,
    -- created (a new prospect), existing (traffic only), reactivated (was defeated), carried_over (an online lead).
    outcome       text NOT NULL,
    name          text NOT NULL,
    mobile        text NOT NULL,
    -- 登记方式: showroom (来店), phone (来电).
    arrival       text NOT NULL,
    party_size    integer NOT NULL,
    arrived_at    timestamptz NOT NULL,
    left_at       timestamptz,
    category      text NOT NULL,
    source        text NOT NULL,
    -- 获取性质: first_visit, second_visit, repeat_visit.
    nature        text NOT NULL,
    consultant_id uuid,
    note          text,
    created_by    uuid,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX traffic_list ON traffic (store_id, arrived_at DESC, id);
CREATE INDEX traffic_prospect ON traffic (prospect_id);

-- Follow-up tasks (潜客跟进任务): one open task per prospect at most, due on a day of the store's clock.
CREATE TABLE prospect_task (
    id             uuid PRIMARY KEY,
    store_id       uuid NOT NULL,
    prospect_id    uuid NOT NULL REFERENCES prospect,
    consultant_id  uuid,
    due_on         date NOT NULL,
    -- What the previous follow-up planned: return_visit, appointment, test_drive, order, delivery, routine.
    planned        text,
    planned_method text,
    state          text NOT NULL CHECK (state IN ('open', 'done', 'cancelled')),
    created_at     timestamptz NOT NULL DEFAULT now(),
    done_at        timestamptz
);
CREATE UNIQUE INDEX prospect_task_one_open ON prospect_task (prospect_id) WHERE state = 'open';
CREATE INDEX prospect_task_list ON prospect_task (store_id, state, due_on);

-- Follow-up records (潜客跟进记录): the form of P5.
CREATE TABLE prospect_follow_up (
    id               uuid PRIMARY KEY,
    store_id         uuid NOT NULL,
    follow_up_no     text NOT NULL,
    prospect_id      uuid NOT NULL REFERENCES prospect,
    consultant_id    uuid NOT NULL,
    level_before     text NOT NULL,
    level            text NOT NULL,
    method           text NOT NULL,
    contents         text[] NOT NULL,
    result           text NOT NULL,
    contact          text NOT NULL,
    note             text NOT NULL,
    quote_image      bytea,
    quote_image_type text,
    valid            boolean NOT NULL,
    next_on          date,
    next_method      text,
    next_content     text,
    comes_tomorrow   boolean NOT NULL DEFAULT false,
    created_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (store_id, follow_up_no)
);
CREATE INDEX prospect_follow_up_list ON prospect_follow_up (store_id, created_at DESC, id);
CREATE INDEX prospect_follow_up_prospect ON prospect_follow_up (prospect_id, created_at);

-- Per store and day counters for document numbers (GJ follow-ups, SJ test drives, JY proposals).
CREATE TABLE document_sequence (
    store_id  uuid NOT NULL,
    prefix    text NOT NULL,
    day       date NOT NULL,
    last      integer NOT NULL,
    PRIMARY KEY (store_id, prefix, day)
);

-- Claims from the public pool waiting for the former team leader's approval (客户公海审核).
CREATE TABLE pool_claim (
    id            uuid PRIMARY KEY,
    store_id      uuid NOT NULL,
    prospect_id   uuid NOT NULL REFERENCES prospect,
    claimant_id   uuid NOT NULL,
    -- The team whose leader decides: the prospect's former team.
    team_id       uuid,
    state         text NOT NULL CHECK (state IN ('pending', 'approved', 'rejected')),
    decided_by    uuid,
    decided_at    timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX pool_claim_one_pending ON pool_claim (prospect_id) WHERE state = 'pending';

-- Every claim and assignment out of the public pool, for the daily cap and the re-claim block.
CREATE TABLE pool_taking (
    prospect_id   uuid NOT NULL,
    store_id      uuid NOT NULL,
    user_id       uuid NOT NULL,
    taken_at      timestamptz NOT NULL
);
CREATE INDEX pool_taking_user ON pool_taking (store_id, user_id, taken_at);

-- The store's online leads, as Leads last announced them (leads.lead.changed.v1).
CREATE TABLE known_lead (
    lead_id      uuid PRIMARY KEY,
    store_id     uuid NOT NULL,
    name         text NOT NULL,
    mobile       text NOT NULL,
    gender       text,
    source       text NOT NULL,
    province     text,
    city         text,
    brand        text,
    series       text,
    model        text,
    level        text NOT NULL,
    state        text NOT NULL,
    note         text,
    changed_at   timestamptz NOT NULL
);
CREATE INDEX known_lead_mobile ON known_lead (store_id, mobile);

-- Test-drive routes (试乘试驾路线).
CREATE TABLE test_drive_route (
    id           uuid PRIMARY KEY,
    store_id     uuid NOT NULL,
    name         text NOT NULL,
    distance_km  numeric(6,1) NOT NULL,
    minutes      integer NOT NULL,
    description  text,
    active       boolean NOT NULL DEFAULT true,
    created_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (store_id, name)
);

-- Test drives (试乘试驾): booked → started → finished, or cancelled.
CREATE TABLE test_drive (
    id                uuid PRIMARY KEY,
    store_id          uuid NOT NULL,
    test_drive_no     text NOT NULL,
    prospect_id       uuid NOT NULL REFERENCES prospect,
    route_id          uuid NOT NULL REFERENCES test_drive_route,
    consultant_id     uuid NOT NULL,
    kind              text NOT NULL CHECK (kind IN ('ride', 'drive')),
    brand             text,
    series            text,
    model             text,
    vehicle_plate     text,
    driver_name       text NOT NULL,
    driver_mobile     text NOT NULL,
    id_number         text,
    licence_number    text,
    booked_for        timestamptz NOT NULL,
    state             text NOT NULL CHECK (state IN ('booked', 'started', 'finished', 'cancelled')),
    started_at        timestamptz,
    finished_at       timestamptz,
    distance_km       numeric(7,1),
    feedback          text,
    rating            integer CHECK (rating BETWEEN 1 AND 5),
    agreement_signed  boolean NOT NULL DEFAULT false,
    created_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (store_id, test_drive_no)
);
CREATE INDEX test_drive_list ON test_drive (store_id, booked_for DESC, id);

-- Photos of a test drive: the ID card, the driving licence, the signed agreement.
CREATE TABLE test_drive_photo (
    test_drive_id  uuid NOT NULL REFERENCES test_drive,
    kind           text NOT NULL CHECK (kind IN ('id_card', 'licence', 'agreement')),
    content_type   text NOT NULL,
    content        bytea NOT NULL,
    uploaded_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (test_drive_id, kind)
);

-- Sales orders from the ERP (订单客户); delivered ones are the retained customers (销售保有客户).
CREATE TABLE sales_order (
    id               uuid PRIMARY KEY,
    store_id         uuid NOT NULL,
    order_no         text NOT NULL,
    customer_name    text NOT NULL,
    customer_mobile  text NOT NULL,
    prospect_id      uuid REFERENCES prospect,
    vin              text,
    plate            text,
    brand            text NOT NULL,
    series           text NOT NULL,
    model            text NOT NULL,
    color            text,
    -- Absent when the delivery arrived before its order (events may come in any order).
    amount           numeric(12,2),
    deposit          numeric(12,2),
    consultant_name  text NOT NULL,
    ordered_at       timestamptz NOT NULL,
    delivered_at     timestamptz,
    UNIQUE (store_id, order_no)
);
CREATE INDEX sales_order_list ON sales_order (store_id, ordered_at DESC, id);
CREATE INDEX sales_order_delivered ON sales_order (store_id, delivered_at DESC, id) WHERE delivered_at IS NOT NULL;

-- Purchase proposals (购车建议书): a printable quote per prospect.
CREATE TABLE proposal (
    id              uuid PRIMARY KEY,
    store_id        uuid NOT NULL,
    proposal_no     text NOT NULL,
    prospect_id     uuid NOT NULL REFERENCES prospect,
    consultant_id   uuid NOT NULL,
    brand           text NOT NULL,
    series          text NOT NULL,
    model           text NOT NULL,
    color           text,
    -- Money in yuan, two decimals: list price, discount, and the extras a dealer quotes.
    list_price      numeric(12,2) NOT NULL,
    discount        numeric(12,2) NOT NULL,
    purchase_tax    numeric(12,2) NOT NULL,
    insurance       numeric(12,2) NOT NULL,
    registration    numeric(12,2) NOT NULL,
    accessories     numeric(12,2) NOT NULL,
    down_payment    numeric(12,2),
    loan_months     integer,
    note            text,
    valid_until     date NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (store_id, proposal_no)
);
CREATE INDEX proposal_prospect ON proposal (prospect_id, created_at);

-- The lucky wheel (大转盘 / 现场抽奖, M4; seed §9.4, the SCRM brochure's 现场抽奖 and 线上抽奖): a
-- wheel of a store with prizes in stock, spun by customers on the public page.

-- A wheel, written by the marketing manager; it takes draws while online (已上架) within its period.
CREATE TABLE lucky_wheel (
    id                 uuid PRIMARY KEY,
    number             text NOT NULL,
    store_id           uuid NOT NULL,
    name               text NOT NULL,
    rules              text,
    starts_at          timestamptz NOT NULL,
    ends_at            timestamptz NOT NULL,
    -- Who may draw (`wheelAudience`): 'anyone', 'registrants' (of `audience_event_id`) or 'customers'
    -- (a mobile Marketing knows as the store's prospect).
    audience           text NOT NULL CHECK (audience IN ('anyone', 'registrants', 'customers')),
    audience_event_id  uuid REFERENCES marketing_event,
    -- How many draws one mobile has (`wheelDrawPeriod`): per store day, or for the whole wheel.
    draws_per_person   integer NOT NULL CHECK (draws_per_person BETWEEN 1 AND 100),
    draw_period        text NOT NULL CHECK (draw_period IN ('day', 'wheel')),
    -- 'pending' 待上架, 'online' 已上架, 'offline' 已下架 (`marketingEventState`).
    state              text NOT NULL CHECK (state IN ('pending', 'online', 'offline')),
    created_by         uuid NOT NULL,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    CHECK (ends_at > starts_at),
    CHECK ((audience = 'registrants') = (audience_event_id IS NOT NULL)),
    UNIQUE (store_id, number)
);
CREATE INDEX lucky_wheel_listed ON lucky_wheel (store_id, starts_at DESC, id);

-- A prize of a wheel, in the order of its bands on the wheel. `stock` is what is left: a draw
-- that lands on the prize takes one with an UPDATE whose WHERE is `stock > 0`, and the CHECK
-- stands behind it. A coupon prize (`kind` 'coupon') is issued through Coupons.
CREATE TABLE wheel_prize (
    id                 uuid PRIMARY KEY,
    wheel_id           uuid NOT NULL REFERENCES lucky_wheel ON DELETE CASCADE,
    position           integer NOT NULL,
    name               text NOT NULL,
    kind               text NOT NULL CHECK (kind IN ('gift', 'coupon')),
    coupon_definition_id uuid,
    coupon_definition_number text,
    -- The odds in basis points (1 bp = 0.01%); what the prizes leave of 10,000 is "no prize".
    basis_points       integer NOT NULL CHECK (basis_points BETWEEN 0 AND 10000),
    stock              integer NOT NULL CHECK (stock >= 0),
    won                integer NOT NULL DEFAULT 0 CHECK (won >= 0),
    CHECK ((kind = 'coupon') = (coupon_definition_id IS NOT NULL)),
    UNIQUE (wheel_id, position)
);

-- How many draws a mobile has used, per wheel and period ('wheel', or the store day
-- 'yyyy-MM-dd'): one UPSERT whose WHERE is the allowance takes a draw, so one mobile drawing
-- many times at once never gets more than its draws.
CREATE TABLE wheel_draw_allowance (
    wheel_id  uuid NOT NULL REFERENCES lucky_wheel ON DELETE CASCADE,
    mobile    text NOT NULL,
    period    text NOT NULL,
    used      integer NOT NULL CHECK (used > 0),
    PRIMARY KEY (wheel_id, mobile, period)
);

-- Every draw (抽奖记录). `outcome` (`wheelDrawOutcome`): 'won', 'no_prize', or 'issuing' while a
-- coupon prize is being asked of Coupons — settled by the draw itself, or by the settling pass
-- after a crash or an unreachable Coupons; `note` says why a prize became no prize.
CREATE TABLE wheel_draw (
    id              uuid PRIMARY KEY,
    wheel_id        uuid NOT NULL REFERENCES lucky_wheel ON DELETE CASCADE,
    store_id        uuid NOT NULL,
    mobile          text NOT NULL,
    name            text,
    drawn_at        timestamptz NOT NULL,
    prize_id        uuid REFERENCES wheel_prize,
    outcome         text NOT NULL CHECK (outcome IN ('won', 'no_prize', 'issuing')),
    coupon_code     text,
    coupon_last_day date,
    note            text,
    settled_at      timestamptz,
    -- The database's own time of the insert: how long a draw has been `issuing`, whatever the
    -- service's clock says (tests fix it).
    recorded_at     timestamptz NOT NULL DEFAULT now(),
    CHECK ((outcome = 'won') <= (prize_id IS NOT NULL))
);
CREATE INDEX wheel_draw_listed ON wheel_draw (wheel_id, drawn_at DESC, id);
CREATE INDEX wheel_draw_issuing ON wheel_draw (recorded_at) WHERE outcome = 'issuing';

-- Coupon prizes of Marketing's lucky wheel (大转盘, M4), asked for over the internal route: one
-- row per draw (`key`), with what was answered, so that the same draw asked again — after a
-- timeout, by another replica — gets the same answer and never a second coupon.
CREATE TABLE prize_issue (
    key            uuid PRIMARY KEY,
    store_id       uuid NOT NULL,
    definition_id  uuid NOT NULL,
    mobile         text NOT NULL,
    source         text NOT NULL,
    -- 'issued', or why not: 'sold_out', 'disabled', 'limit_reached', 'validity_over', 'unknown_definition'.
    outcome        text NOT NULL,
    coupon_id      uuid REFERENCES coupon,
    code           text,
    last_day       date,
    asked_at       timestamptz NOT NULL
);

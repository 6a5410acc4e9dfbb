-- The referral rule (老带新, C6; seed §8.4): when a referred customer arrives in the showroom or
-- buys, coupons go to the old customer who referred them, to the new one, or to both.
CREATE TABLE referral_rule (
    store_id                 uuid PRIMARY KEY,
    enabled                  boolean NOT NULL,
    -- 'arrival' (新客户到店) or 'purchase' (新客户购车).
    trigger                  text NOT NULL CHECK (trigger IN ('arrival', 'purchase')),
    -- What the old customer (老客户) and the new one (新客户) get; NULL: nothing.
    referrer_definition_id   uuid REFERENCES coupon_definition,
    referrer_coupons         integer NOT NULL DEFAULT 1 CHECK (referrer_coupons BETWEEN 1 AND 10),
    referee_definition_id    uuid REFERENCES coupon_definition,
    referee_coupons          integer NOT NULL DEFAULT 1 CHECK (referee_coupons BETWEEN 1 AND 10),
    updated_by               uuid NOT NULL,
    updated_at               timestamptz NOT NULL DEFAULT now()
);

-- Each award the rule made, once per referred customer (by mobile), trigger and recipient
-- (the referrer or the referee): the primary key is what makes a redelivered or repeated
-- arrival, or a second replica, give nothing more.
CREATE TABLE referral_award (
    store_id          uuid NOT NULL,
    referee_mobile    text NOT NULL,
    trigger           text NOT NULL,
    recipient         text NOT NULL CHECK (recipient IN ('referrer', 'referee')),
    recipient_mobile  text NOT NULL,
    prospect_id       uuid NOT NULL,
    definition_id     uuid NOT NULL REFERENCES coupon_definition,
    -- 'issued', or why not: 'sold_out', 'disabled', 'limit_reached', 'validity_over'.
    outcome           text NOT NULL,
    coupons           integer NOT NULL,
    event_id          text NOT NULL,
    awarded_at        timestamptz NOT NULL,
    PRIMARY KEY (store_id, referee_mobile, trigger, recipient)
);

-- Which coupons a referral gave (they have no issuing task).
ALTER TABLE coupon ADD COLUMN referral_of text;

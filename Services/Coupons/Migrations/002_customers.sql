-- The customers Coupons knows (C2, C6), kept from the events of the services that own them:
-- prospects from `prospects.prospect.changed.v1`, vehicle owners from
-- `aftersales.vehicle.changed.v1`. Each row is the owner's last word (`changed_at`); an older
-- event changes nothing. Conditional issuing tasks filter these.
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
    referrer_mobile  text,
    in_recycle_bin   boolean NOT NULL,
    changed_at       timestamptz NOT NULL
);
CREATE INDEX customer_prospect_of_store ON customer_prospect (store_id, mobile);

CREATE TABLE customer_vehicle (
    vehicle_id         uuid PRIMARY KEY,
    store_id           uuid NOT NULL,
    vin                text NOT NULL,
    plate              text,
    brand              text,
    series             text,
    model              text,
    purchase_date      date,
    owner_name         text NOT NULL,
    owner_mobile       text NOT NULL,
    last_repair_on     date,
    changed_at         timestamptz NOT NULL
);
CREATE INDEX customer_vehicle_of_store ON customer_vehicle (store_id, owner_mobile);

-- What a conditional task filters on (CouponConditions as JSON).
ALTER TABLE issue_task ADD CONSTRAINT issue_task_conditions_object CHECK (jsonb_typeof(conditions) = 'object');

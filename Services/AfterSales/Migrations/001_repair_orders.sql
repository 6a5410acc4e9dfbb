-- Repair orders (维修工单), one per store and RO number however often and whichever way
-- (SA or ERP) they arrive.
CREATE TABLE repair_order (
    id               uuid PRIMARY KEY,
    store_id         uuid NOT NULL,
    store_code       text NOT NULL,
    ro_no            text NOT NULL,
    vin              text NOT NULL,
    plate            text NOT NULL,
    customer_name    text NOT NULL,
    customer_mobile  text NOT NULL,
    sender_name      text NOT NULL,
    sender_mobile    text NOT NULL,
    business_type    text NOT NULL,
    service_advisor  text NOT NULL,
    mileage_km       integer NOT NULL CHECK (mileage_km >= 0),
    amount           numeric(12,2) CHECK (amount >= 0),
    brand            text,
    series           text,
    model            text,
    state            text NOT NULL CHECK (state IN ('open', 'completed')),
    opened_at        timestamptz NOT NULL,
    completed_at     timestamptz,
    source           text NOT NULL CHECK (source IN ('erp', 'crm')),
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (store_id, ro_no)
);

CREATE INDEX repair_order_vin ON repair_order (store_id, vin);

-- Channel QR codes (推广二维码, M6): one per poster, partner or consultant. The code is the part
-- of the URL that says where a customer came from.
CREATE TABLE channel (
    id           uuid PRIMARY KEY,
    store_id     uuid NOT NULL,
    code         text NOT NULL UNIQUE,
    name         text NOT NULL,
    kind         text NOT NULL,
    consultant_id uuid,
    landing_url  text NOT NULL,
    enabled      boolean NOT NULL DEFAULT true,
    created_by   uuid NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX channel_store ON channel (store_id, created_at DESC, id);

-- What arrived through a channel: a lead, an event registration. One row per arrival (kind,
-- subject), so a redelivered event records nothing twice.
CREATE TABLE channel_touch (
    kind         text NOT NULL,
    subject_id   text NOT NULL,
    store_id     uuid NOT NULL,
    channel_code text NOT NULL,
    mobile       text NOT NULL,
    touched_at   timestamptz NOT NULL,
    PRIMARY KEY (kind, subject_id)
);
CREATE INDEX channel_touch_mobile ON channel_touch (store_id, mobile, touched_at);

-- What became of the customers, as Prospects announces it: a first showroom arrival (a new
-- prospect) and an order, by mobile. The report credits them to the mobile's first channel.
CREATE TABLE channel_outcome (
    kind         text NOT NULL,
    subject_id   text NOT NULL,
    store_id     uuid NOT NULL,
    mobile       text NOT NULL,
    happened_at  timestamptz NOT NULL,
    PRIMARY KEY (kind, subject_id)
);
CREATE INDEX channel_outcome_mobile ON channel_outcome (store_id, mobile);

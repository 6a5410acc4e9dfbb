-- Events (活动管理, M3; seed §9.3) and their registrations (集客报名; the SCRM brochure). Money is
-- in yuan, numeric(12,2); instants are UTC (staff write and read them on the store's clock).

-- The counters behind the numbers staff quote: HD… events (ServiceKit's DocumentNumbers). Other
-- features of Marketing number their documents too: whichever migration comes first creates it.
CREATE TABLE IF NOT EXISTS document_sequence (
    store_id  uuid NOT NULL,
    prefix    text NOT NULL,
    day       date NOT NULL,
    last      integer NOT NULL,
    PRIMARY KEY (store_id, prefix, day)
);

-- An event of a store (活动), written by the marketing manager. `registered` counts its
-- registrations and may never pass `capacity`: a registration raises it with one UPDATE whose
-- WHERE is the rule (online, not ended, a place left) in the registration's own transaction, and
-- the CHECK stands behind it.
CREATE TABLE marketing_event (
    id            uuid PRIMARY KEY,
    number        text NOT NULL,
    store_id      uuid NOT NULL,
    name          text NOT NULL,
    theme         text,
    starts_at     timestamptz NOT NULL,
    ends_at       timestamptz NOT NULL,
    -- 'free', 'fee' (收费) or 'deposit' (诚意金); `amount` in yuan for the last two.
    charge        text NOT NULL CHECK (charge IN ('free', 'fee', 'deposit')),
    amount        numeric(12,2) CHECK (amount > 0),
    content       text NOT NULL,
    rules         text,
    share_title   text,
    share_text    text,
    capacity      integer NOT NULL CHECK (capacity > 0),
    registered    integer NOT NULL DEFAULT 0,
    -- 'pending' 待上架, 'online' 已上架, 'offline' 已下架.
    state         text NOT NULL CHECK (state IN ('pending', 'online', 'offline')),
    created_by    uuid NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    online_at     timestamptz,
    offline_at    timestamptz,
    CHECK (ends_at > starts_at),
    CHECK ((charge = 'free') = (amount IS NULL)),
    CHECK (registered >= 0 AND registered <= capacity),
    UNIQUE (store_id, number)
);
CREATE INDEX marketing_event_listed ON marketing_event (store_id, starts_at DESC, id);

-- One customer's registration for an event (报名), by mobile: one per mobile and event.
CREATE TABLE event_registration (
    id             uuid PRIMARY KEY,
    event_id       uuid NOT NULL REFERENCES marketing_event,
    store_id       uuid NOT NULL,
    mobile         text NOT NULL,
    name           text NOT NULL,
    -- The channel the page was opened from (推广二维码, M6), as it passed it on.
    channel_code   text,
    registered_at  timestamptz NOT NULL,
    -- 签到 at the event: when, and by whom.
    checked_in_at  timestamptz,
    checked_in_by  uuid,
    UNIQUE (event_id, mobile)
);
CREATE INDEX event_registration_listed ON event_registration (event_id, registered_at DESC, id);
CREATE INDEX event_registration_of_mobile ON event_registration (store_id, mobile);

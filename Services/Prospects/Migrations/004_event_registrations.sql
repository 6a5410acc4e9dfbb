-- 集客报名 (M3): the mobiles that registered for a store's marketing events, from Marketing's
-- `marketing.registration.created.v1`. A new prospect with one of them came through the event:
-- its source is 展厅活动 (showroom_event), whatever the form said (TrafficStore).
CREATE TABLE event_registration (
    registration_id uuid PRIMARY KEY,
    store_id        uuid NOT NULL,
    mobile          text NOT NULL,
    event_id        uuid NOT NULL,
    event_name      text NOT NULL,
    registered_at   timestamptz NOT NULL
);
CREATE INDEX event_registration_mobile ON event_registration (store_id, mobile);

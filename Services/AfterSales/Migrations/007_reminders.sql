-- Care reminders (关怀, SPEC AS7; seed 002 "定期保养 / 年审提醒 / 生日关怀 / 质保到期 / 驾驶证年审";
-- seed 000 §8.3 "开关开启后, 本功能次日生效").

-- The store's reminder rules, one row per store that saved any; a store without a row has the
-- defaults of `ReminderSettings.defaults`.
--   default_contact_method       — how a new reminder says to contact (dictionary
--                                  `reminderContactMethod`: phone / letter / sms; phone by default, seed 002)
--   maintenance_interval_months  — the next maintenance is due this many months after the last visit
--   maintenance_interval_km      — … or when the car has driven this many km more at its mileage
--                                  trend, whichever comes first; NULL: months only
--   inspection_first_year, inspection_every_years, inspection_yearly_from_year — the annual
--                                  inspection (年审) falls on the registration date's anniversaries
--                                  n = first, first + every, … below yearly_from, and every year from it
CREATE TABLE reminder_setting (
    store_id                      uuid PRIMARY KEY,
    default_contact_method        text NOT NULL CHECK (default_contact_method IN ('phone', 'letter', 'sms')),
    maintenance_interval_months   integer NOT NULL CHECK (maintenance_interval_months BETWEEN 1 AND 36),
    maintenance_interval_km       integer CHECK (maintenance_interval_km BETWEEN 500 AND 100000),
    inspection_first_year         integer NOT NULL CHECK (inspection_first_year BETWEEN 1 AND 20),
    inspection_every_years        integer NOT NULL CHECK (inspection_every_years BETWEEN 1 AND 10),
    inspection_yearly_from_year   integer NOT NULL CHECK (inspection_yearly_from_year BETWEEN 1 AND 30),
    updated_at                    timestamptz NOT NULL DEFAULT now()
);

-- Each kind's switch per store. `effective_from` is the store day from which the daily pass
-- generates the kind: the day after it was switched on; NULL while it is off (switching off
-- takes effect at once). `days_ahead`: a reminder is generated that many days before its day.
CREATE TABLE reminder_switch (
    store_id        uuid NOT NULL,
    kind            text NOT NULL CHECK (kind IN ('maintenance', 'annual_inspection', 'birthday', 'warranty_expiry', 'licence_review')),
    effective_from  date,
    days_ahead      integer NOT NULL CHECK (days_ahead BETWEEN 0 AND 90),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (store_id, kind)
);

-- One row per reminder: a vehicle, a kind, a person and an occasion, generated once by the
-- daily pass however many crm-aftersales processes run it (the unique key and ON CONFLICT DO
-- NOTHING). `occasion` is what makes the reminder one: its day (`due_on` as text) for
-- birthdays, inspections, warranty and licence expiries; the repair order it counts from for
-- maintenance (so that a trend that moves does not make a second one). `remind_on` is the
-- store day it was generated for (the list's date), `due_on` the day it is about.
CREATE TABLE reminder (
    id              uuid PRIMARY KEY,
    store_id        uuid NOT NULL,
    vehicle_id      uuid NOT NULL REFERENCES vehicle (id),
    kind            text NOT NULL CHECK (kind IN ('maintenance', 'annual_inspection', 'birthday', 'warranty_expiry', 'licence_review')),
    person_role     text NOT NULL CHECK (person_role IN ('owner', 'user', 'driver')),
    person_name     text NOT NULL,
    person_mobile   text NOT NULL,
    occasion        text NOT NULL,
    due_on          date NOT NULL,
    remind_on       date NOT NULL,
    contact_method  text NOT NULL CHECK (contact_method IN ('phone', 'letter', 'sms')),
    done            boolean NOT NULL DEFAULT false,
    done_by         uuid,
    done_at         timestamptz,
    note            text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (store_id, vehicle_id, kind, person_role, occasion),
    CHECK (done = (done_at IS NOT NULL))
);

-- A person's birthday and licence are theirs, not a car's: someone on several of the store's
-- cars (a fleet contact) is reminded once, with the first car the pass meets.
CREATE UNIQUE INDEX reminder_person ON reminder (store_id, kind, person_mobile, occasion)
    WHERE kind IN ('birthday', 'licence_review');

-- The list: a store's reminders of a day, by kind.
CREATE INDEX reminder_listed ON reminder (store_id, remind_on, kind);

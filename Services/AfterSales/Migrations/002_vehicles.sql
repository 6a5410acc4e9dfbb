-- Vehicle files (车辆档案, AS1), one per store and VIN. Staff enter them; a car the store has no
-- file for gets one from its first repair order (ERP or CRM), so that every car with repair
-- history has a file. Days are `date`, not instants: a purchase date has no time zone.
CREATE TABLE vehicle (
    id                 uuid PRIMARY KEY,
    store_id           uuid NOT NULL,
    vin                text NOT NULL,
    plate              text,
    brand              text,
    series             text,
    model              text,
    color              text,
    transmission       text,
    engine_no          text,
    purchase_date      date,
    registration_date  date,
    insurance_expiry   date,
    owner_name         text NOT NULL,
    owner_mobile       text NOT NULL,
    user_name          text,
    user_mobile        text,
    driver_name        text,
    driver_mobile      text,
    source             text NOT NULL CHECK (source IN ('crm', 'repair_order')),
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    UNIQUE (store_id, vin),
    CHECK ((user_name IS NULL) = (user_mobile IS NULL)),
    CHECK ((driver_name IS NULL) = (driver_mobile IS NULL))
);

-- The list's order, and its searches by plate and by any person's mobile.
CREATE INDEX vehicle_listed ON vehicle (store_id, created_at DESC, id);
CREATE INDEX vehicle_plate ON vehicle (store_id, plate);
CREATE INDEX vehicle_owner_mobile ON vehicle (store_id, owner_mobile);
CREATE INDEX vehicle_user_mobile ON vehicle (store_id, user_mobile);
CREATE INDEX vehicle_driver_mobile ON vehicle (store_id, driver_mobile);

-- The customer file the after-sales rules need (AS2, AS5). Each person of a vehicle file —
-- owner, user, driver — gains a profile: gender (dictionary `gender`), birth date, region
-- (province, city), customer source (dictionary `customerSource`) and driving-licence expiry.
-- A person's profile is empty when the person is; the code keeps it so.
ALTER TABLE vehicle
    ADD COLUMN owner_gender           text,
    ADD COLUMN owner_birth_date       date,
    ADD COLUMN owner_province         text,
    ADD COLUMN owner_city             text,
    ADD COLUMN owner_source           text,
    ADD COLUMN owner_licence_expiry   date,
    ADD COLUMN user_gender            text,
    ADD COLUMN user_birth_date        date,
    ADD COLUMN user_province          text,
    ADD COLUMN user_city              text,
    ADD COLUMN user_source            text,
    ADD COLUMN user_licence_expiry    date,
    ADD COLUMN driver_gender          text,
    ADD COLUMN driver_birth_date      date,
    ADD COLUMN driver_province        text,
    ADD COLUMN driver_city            text,
    ADD COLUMN driver_source          text,
    ADD COLUMN driver_licence_expiry  date,
    -- The maker's warranty ends at a day or a distance, whichever comes first (质保到期).
    ADD COLUMN warranty_end_date      date,
    ADD COLUMN warranty_end_km        integer CHECK (warranty_end_km >= 0),
    -- The service advisor staff put in charge of the car; when empty, the car's current SA is
    -- the SA of its latest repair order.
    ADD COLUMN service_advisor        text;

-- The store's after-sales rules (售后规则配置, seed §8.3), one row per store that saved any; a
-- store without a row has the defaults. `churn_months`: a customer whose last visit is longer
-- ago than this is lost (流失客户, AS5).
CREATE TABLE after_sales_setting (
    store_id      uuid PRIMARY KEY,
    churn_months  integer NOT NULL CHECK (churn_months BETWEEN 1 AND 60),
    updated_at    timestamptz NOT NULL DEFAULT now()
);

-- A car's visits in time order: its customer class, latest SA and latest mileage.
CREATE INDEX repair_order_vin_opened ON repair_order (store_id, vin, opened_at DESC);
-- It serves the searches by store and VIN as well.
DROP INDEX repair_order_vin;

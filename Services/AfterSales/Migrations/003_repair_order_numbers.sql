-- Repair orders opened in the CRM get numbers RO + yyMMdd + a four-digit sequence per store
-- and day (the store's local day), e.g. RO2403180001. The row of a store and day is the last
-- number given; taking the next one locks it, so two SAs never get the same number.
CREATE TABLE repair_order_number (
    store_id       uuid NOT NULL,
    day            date NOT NULL,
    last_sequence  integer NOT NULL,
    PRIMARY KEY (store_id, day)
);

-- The repair-order list's order (newest opened first) and its search by plate.
CREATE INDEX repair_order_opened ON repair_order (store_id, opened_at DESC, id);
CREATE INDEX repair_order_plate ON repair_order (store_id, plate);

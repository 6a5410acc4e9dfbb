-- The rest of the test-drive form (试乘试驾): the demonstration car's VIN, the driver's address,
-- and why a booking was cancelled.
ALTER TABLE test_drive
    ADD COLUMN vin            text,
    ADD COLUMN driver_address text,
    ADD COLUMN cancel_reason  text,
    ADD COLUMN cancelled_at   timestamptz;

-- A purchase proposal's loan is quoted at a yearly rate, from which the monthly payment follows.
ALTER TABLE proposal ADD COLUMN annual_rate_percent numeric(5,2);

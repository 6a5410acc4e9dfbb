-- How often the settling pass asked Coupons about a draw still `issuing` without an answer: the
-- pass takes the least-asked first, so that draws Coupons keeps refusing (a wrong internal
-- token) never hold up the others.
ALTER TABLE wheel_draw ADD COLUMN settle_attempts integer NOT NULL DEFAULT 0;

-- The per-customer limit counts a customer's coupons of the definition straight from
-- `coupon`, through this index, instead of a `coupon_holding` row kept beside them: every
-- issuing path locks the definition's row first, so the count is as exact as the holding was,
-- and a push of 100,000 coupons no longer upserts 100,000 holdings (issue 14, bench (g)).
-- Coupons are never deleted (a revoked one keeps its row), so the counts equal the holdings.
CREATE INDEX coupon_of_definition_mobile ON coupon (definition_id, mobile);
-- The definition's counts filter by definition_id alone; the new index serves them.
DROP INDEX coupon_of_definition;
DROP TABLE coupon_holding;

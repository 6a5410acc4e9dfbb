-- 老带新 (referral, C6): the mobile of the old customer who referred the prospect, registered
-- with the traffic source `referral` (P1). Normalised, 11 digits; kept as given even when it is
-- the prospect's own mobile (Coupons' referral rule decides what a self-referral earns).
ALTER TABLE prospect ADD COLUMN referrer_mobile text;

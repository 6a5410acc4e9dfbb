-- A lead's landline (固定电话), beside its mobile (issue 12, L3): ADF platforms send the
-- customer's landline with or before the mobile; it is kept here, never as the mobile.
ALTER TABLE lead ADD COLUMN landline text;

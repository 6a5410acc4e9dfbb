-- L9: a lead that came to the showroom is a prospect now (Prospects announced it): `arrived`.
ALTER TABLE lead DROP CONSTRAINT lead_state_check;
ALTER TABLE lead ADD CONSTRAINT lead_state_check CHECK (state IN ('new', 'assigned', 'defeated', 'arrived'));

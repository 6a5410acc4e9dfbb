-- Price promotions (降价促销, M2; seed §9.2): a car's list price, the discount and the price it
-- makes, shown on the customer-facing site while the promotion is valid. Money in yuan,
-- numeric(12,2); validity in the store's calendar days; instants UTC.
CREATE TABLE price_promotion (
    id               uuid PRIMARY KEY,
    store_id         uuid NOT NULL,
    title            text NOT NULL,
    brand            text NOT NULL,
    series           text NOT NULL,
    model            text NOT NULL,
    list_price       numeric(12,2) NOT NULL CHECK (list_price > 0),
    discount         numeric(12,2) NOT NULL CHECK (discount >= 0),
    -- Derived, never written: the promotion price is the list price less the discount.
    promotion_price  numeric(12,2) GENERATED ALWAYS AS (list_price - discount) STORED,
    conditions       text,
    content          text,
    valid_from       date NOT NULL,
    valid_until      date NOT NULL,
    state            text NOT NULL DEFAULT 'draft' CHECK (state IN ('draft', 'published', 'withdrawn')),
    published_at     timestamptz,
    withdrawn_at     timestamptz,
    created_by       uuid NOT NULL,
    updated_by       uuid NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CHECK (discount < list_price),
    CHECK (valid_until >= valid_from),
    CHECK (state <> 'published' OR published_at IS NOT NULL)
);
CREATE INDEX price_promotion_listed ON price_promotion (store_id, created_at DESC, id);
CREATE INDEX price_promotion_current ON price_promotion (store_id, valid_from, valid_until) WHERE state = 'published';

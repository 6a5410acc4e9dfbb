-- Retained-customer visit tasks (保有客户任务, CS2): one per completed repair order or delivered
-- new car, never two for the same order.
CREATE TABLE visit_task (
    id               uuid PRIMARY KEY,
    store_id         uuid NOT NULL,
    order_type       text NOT NULL CHECK (order_type IN ('repair', 'new_car')),
    order_no         text NOT NULL,
    source_event_id  text NOT NULL,
    customer_name    text NOT NULL,
    customer_mobile  text NOT NULL,
    plate            text,
    vin              text,
    sender_name      text,
    sender_mobile    text,
    business_type    text,
    brand            text,
    series           text,
    model            text,
    staff_name       text,
    order_at         timestamptz NOT NULL,
    state            text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'assigned', 'visited', 'closed')),
    assignee_id      uuid,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (store_id, order_type, order_no)
);

CREATE INDEX visit_task_store_state ON visit_task (store_id, state, created_at);

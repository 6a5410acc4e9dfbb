-- Visit templates (回访模板, CS1): the questions of a satisfaction call. The questions live in
-- one jsonb document, replaced as a whole; a template that has been used is no longer edited
-- (copy it instead), so past answers keep the questions they answered.
CREATE TABLE visit_template (
    id          uuid PRIMARY KEY,
    store_id    uuid NOT NULL,
    name        text NOT NULL,
    kind        text NOT NULL CHECK (kind IN ('sales', 'after_sales', 'customer_service')),
    -- The template a visit uses when it names none: one per store and kind.
    is_default  boolean NOT NULL DEFAULT false,
    questions   jsonb NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (store_id, name)
);
CREATE UNIQUE INDEX visit_template_one_default ON visit_template (store_id, kind) WHERE is_default;

-- Visit tasks gain what assignment and visiting record.
ALTER TABLE visit_task
    ADD COLUMN assigned_at    timestamptz,
    ADD COLUMN assigned_by    uuid,
    ADD COLUMN visited_at     timestamptz,
    ADD COLUMN last_result    text,
    ADD COLUMN attempts       integer NOT NULL DEFAULT 0;
CREATE INDEX visit_task_assignee ON visit_task (store_id, assignee_id, state);
CREATE INDEX visit_task_order_no ON visit_task (store_id, order_no);
CREATE INDEX visit_task_mobile ON visit_task (store_id, customer_mobile);
CREATE INDEX visit_task_plate ON visit_task (store_id, plate);
CREATE INDEX visit_task_list ON visit_task (store_id, order_at DESC, id);

-- One call of a visit task (CS4), with its result.
CREATE TABLE visit (
    id           uuid PRIMARY KEY,
    store_id     uuid NOT NULL,
    task_id      uuid NOT NULL REFERENCES visit_task,
    template_id  uuid NOT NULL REFERENCES visit_template,
    agent_id     uuid NOT NULL,
    result       text NOT NULL CHECK (result IN ('done', 'unreachable', 'refused', 'call_again')),
    note         text,
    negative     boolean NOT NULL,
    visited_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX visit_by_task ON visit (task_id, visited_at);

-- The answers of a visit, one row per chosen option / rating / text, for the statistics (CS7).
CREATE TABLE visit_answer (
    visit_id     uuid NOT NULL REFERENCES visit,
    store_id     uuid NOT NULL,
    template_id  uuid NOT NULL,
    question_id  uuid NOT NULL,
    option_id    uuid,
    rating       integer,
    text         text,
    negative     boolean NOT NULL,
    visited_at   timestamptz NOT NULL
);
CREATE INDEX visit_answer_statistics ON visit_answer (store_id, template_id, visited_at);

-- Complaints (投诉, CS5) and their handling (CS6).
CREATE TABLE complaint (
    id                 uuid PRIMARY KEY,
    store_id           uuid NOT NULL,
    complaint_no       text NOT NULL,
    source             text NOT NULL CHECK (source IN ('visit', 'phone', 'walk_in', 'online', 'other')),
    state              text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'in_progress', 'resolved', 'closed')),
    level              text NOT NULL CHECK (level IN ('minor', 'general', 'urgent', 'severe')),
    category           text NOT NULL,
    complainant_name   text NOT NULL,
    complainant_gender text CHECK (complainant_gender IN ('male', 'female')),
    complainant_mobile text NOT NULL,
    content            text NOT NULL,
    ro_no              text,
    plate              text,
    vin                text,
    model              text,
    technician         text,
    service_staff      text,
    department         text,
    employee           text,
    visit_id           uuid REFERENCES visit,
    task_id            uuid REFERENCES visit_task,
    handler_id         uuid,
    opened_by          uuid,
    received_at        timestamptz NOT NULL,
    due_at             timestamptz NOT NULL,
    resolved_at        timestamptz,
    closed_at          timestamptz,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    UNIQUE (store_id, complaint_no)
);
CREATE INDEX complaint_list ON complaint (store_id, received_at DESC, id);
CREATE INDEX complaint_ro ON complaint (store_id, ro_no);
CREATE INDEX complaint_open_due ON complaint (store_id, due_at) WHERE state IN ('pending', 'in_progress');

-- The handling record of a complaint: feedback, plans, follow-ups, suggestions, notes, and
-- every change of state or handler.
CREATE TABLE complaint_entry (
    id            uuid PRIMARY KEY,
    complaint_id  uuid NOT NULL REFERENCES complaint,
    kind          text NOT NULL CHECK (kind IN ('feedback', 'plan', 'follow_up', 'improvement', 'note', 'state', 'assignment')),
    text          text NOT NULL,
    author_id     uuid,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX complaint_entry_complaint ON complaint_entry (complaint_id, created_at);

-- Human document numbers (KS…) per store and day.
CREATE TABLE document_sequence (
    store_id  uuid NOT NULL,
    prefix    text NOT NULL,
    day       date NOT NULL,
    last      integer NOT NULL,
    PRIMARY KEY (store_id, prefix, day)
);

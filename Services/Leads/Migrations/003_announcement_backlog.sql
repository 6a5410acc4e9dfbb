-- Leads an import created, to be announced (leads.lead.changed.v1) after the import committed:
-- the import writes one row with all their ids in its own transaction, and the backlog's worker
-- announces them in the background — an import of 100,000 leads does not wait for 100,000
-- events, and a crash before they are announced leaves the row to finish from.
CREATE TABLE announcement_backlog (
    id          uuid PRIMARY KEY,
    lead_ids    uuid[] NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

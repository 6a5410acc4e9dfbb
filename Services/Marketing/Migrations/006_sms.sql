-- The SMS platform (短信平台, M5; seed §9.5): templates, sends, one message per recipient with
-- its state, the opt-out list (回复TD退订) and each store's daily cap.

-- A template (短信模板): text with variables ({name}, {plate}, {event}, {store}), checked when
-- saved. `kind` 'marketing' (营销短信: quiet hours, opt-out, daily cap) or 'notice' (通知短信).
-- `provider_template_code` is the template's code at the SMS provider (阿里云 TemplateCode).
CREATE TABLE sms_template (
    id                      uuid PRIMARY KEY,
    store_id                uuid NOT NULL,
    name                    text NOT NULL,
    kind                    text NOT NULL CHECK (kind IN ('marketing', 'notice')),
    content                 text NOT NULL,
    provider_template_code  text,
    created_by              uuid NOT NULL,
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sms_template_store ON sms_template (store_id, created_at DESC, id);

-- A send (群发): a template to an audience, now or at `send_at` (an instant; the store's clock
-- decides when it is due).
CREATE TABLE sms_send (
    id              uuid PRIMARY KEY,
    store_id        uuid NOT NULL,
    template_id     uuid NOT NULL REFERENCES sms_template,
    template_name   text NOT NULL,
    kind            text NOT NULL,
    audience        text NOT NULL,
    event_id        uuid,
    send_at         timestamptz NOT NULL,
    created_by      uuid NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sms_send_store ON sms_send (store_id, created_at DESC, id);

-- One message per recipient of a send. Its id is the idempotency key sent to the provider
-- (阿里云 OutId): a retry sends the same key. `not_before` is when it may go (the send's time,
-- or 08:00 after quiet hours); `held_until` (database time) is the lease of a dispatcher that
-- is sending it, or the pause before a retry. `sent_day` is the store day it counts against the
-- daily cap.
CREATE TABLE sms_message (
    id              uuid PRIMARY KEY,
    send_id         uuid NOT NULL REFERENCES sms_send,
    store_id        uuid NOT NULL,
    kind            text NOT NULL,
    mobile          text NOT NULL,
    name            text,
    content         text NOT NULL,
    template_code   text,
    params          jsonb NOT NULL DEFAULT '{}',
    state           text NOT NULL CHECK (state IN ('queued', 'sending', 'sent', 'delivered', 'failed', 'skipped')),
    reason          text,
    provider_code   text,
    provider_id     text,
    attempts        integer NOT NULL DEFAULT 0,
    not_before      timestamptz NOT NULL,
    held_until      timestamptz,
    sent_day        date,
    sent_at         timestamptz,
    delivered_at    timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (send_id, mobile)
);
CREATE INDEX sms_message_due ON sms_message (not_before, id) WHERE state IN ('queued', 'sending');
CREATE INDEX sms_message_send ON sms_message (send_id, id);
CREATE INDEX sms_message_store ON sms_message (store_id, created_at DESC, id);
CREATE INDEX sms_message_cap ON sms_message (store_id, mobile, sent_day) WHERE sent_day IS NOT NULL;

-- The opt-out list (回复TD退订): never sent a marketing message. `source` 'staff' (added by
-- hand) or 'reply' (the customer replied TD).
CREATE TABLE sms_opt_out (
    store_id    uuid NOT NULL,
    mobile      text NOT NULL,
    source      text NOT NULL CHECK (source IN ('staff', 'reply')),
    note        text,
    created_at  timestamptz NOT NULL,
    PRIMARY KEY (store_id, mobile)
);

-- A store's SMS settings; a store that saved none has the defaults (`SmsSettings.defaults`).
CREATE TABLE sms_setting (
    store_id    uuid PRIMARY KEY,
    daily_cap   integer NOT NULL CHECK (daily_cap BETWEEN 1 AND 50),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

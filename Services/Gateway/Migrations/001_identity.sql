-- Identity & administration (G1–G4): the dealer group, its stores and teams, users, roles and
-- the audit log. The gateway owns these; other services learn stores and users from the
-- identity.*.changed.v1 events it publishes.

CREATE TABLE dealer_group (
    id    uuid PRIMARY KEY,
    name  text NOT NULL
);

-- A store (4S店). Its id is derived from the ERP's store code (ServiceKit's StoreID), so that
-- every service names a store the same way without asking.
CREATE TABLE store (
    id          uuid PRIMARY KEY,
    group_id    uuid NOT NULL REFERENCES dealer_group,
    code        text NOT NULL UNIQUE,
    name        text NOT NULL,
    time_zone   text NOT NULL,
    version     bigint NOT NULL DEFAULT 1,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- A department or sales team (部门/小组) of one store.
CREATE TABLE team (
    id          uuid PRIMARY KEY,
    store_id    uuid NOT NULL REFERENCES store,
    name        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (store_id, name)
);

-- A role: a set of permissions (ServiceKit's Permission) and a data scope.
CREATE TABLE role (
    id           uuid PRIMARY KEY,
    code         text NOT NULL UNIQUE,
    name         text NOT NULL,
    data_scope   text NOT NULL CHECK (data_scope IN ('own', 'team', 'store', 'group')),
    permissions  text[] NOT NULL,
    built_in     boolean NOT NULL DEFAULT false,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE app_user (
    id             uuid PRIMARY KEY,
    username       text NOT NULL UNIQUE,
    display_name   text NOT NULL,
    mobile         text,
    password_hash  text NOT NULL,
    role_id        uuid NOT NULL REFERENCES role,
    team_id        uuid REFERENCES team,
    supervisor_id  uuid REFERENCES app_user,
    active         boolean NOT NULL DEFAULT true,
    -- Consecutive failed logins; the fifth locks the account until locked_until.
    failed_logins  integer NOT NULL DEFAULT 0,
    locked_until   timestamptz,
    version        bigint NOT NULL DEFAULT 1,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);

-- The stores a user works in (a user may switch between several).
CREATE TABLE user_store (
    user_id   uuid NOT NULL REFERENCES app_user ON DELETE CASCADE,
    store_id  uuid NOT NULL REFERENCES store,
    PRIMARY KEY (user_id, store_id)
);

-- Every write through the gateway (操作日志): who, what, when, from which request.
CREATE TABLE audit_log (
    id          bigserial PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    user_id     uuid,
    username    text,
    store_id    uuid,
    method      text NOT NULL,
    path        text NOT NULL,
    status      integer NOT NULL,
    request_id  text,
    summary     text
);
CREATE INDEX audit_log_at ON audit_log (at DESC, id DESC);
CREATE INDEX audit_log_user ON audit_log (user_id, at DESC);

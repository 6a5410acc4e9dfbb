-- Refresh tokens the gateway has issued (issue 10): a refresh token is good only while its row
-- is here unrevoked, so logout and a refresh (which replaces it) end it at once.
CREATE TABLE refresh_token (
    id          uuid PRIMARY KEY,            -- the token's jti
    user_id     uuid NOT NULL REFERENCES app_user (id),
    issued_at   timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL,
    revoked_at  timestamptz,
    -- Why it ended: 'refreshed', 'logout', 'deactivated'.
    revoked_why text
);
CREATE INDEX refresh_token_user ON refresh_token (user_id) WHERE revoked_at IS NULL;
CREATE INDEX refresh_token_expiry ON refresh_token (expires_at);

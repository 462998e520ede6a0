-- +goose Up
-- Shareable invitation links (SPEC §2): whoever holds one and is an
-- employee of the deployment may join the message's invitees. Only the
-- SHA-256 of the link's secret is kept; who made the link is in the audit
-- log, not here.
CREATE TABLE invite_links (
    hash       BYTEA PRIMARY KEY,
    message_id TEXT NOT NULL REFERENCES messages(id),
    created    BIGINT NOT NULL,
    revoked    BIGINT
);
CREATE INDEX invite_links_message ON invite_links (message_id);

-- +goose Down
DROP INDEX invite_links_message;
DROP TABLE invite_links;

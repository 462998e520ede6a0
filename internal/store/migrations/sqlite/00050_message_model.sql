-- +goose Up
-- The message model of issue 15. The deployment's vocabulary: classification
-- markings (ordered by ord, lowest first), policy topics and distribution
-- tiers; a retired entry stays on the messages that carry it.
CREATE TABLE vocabulary (
    kind    TEXT NOT NULL,
    name    TEXT NOT NULL,
    ord     BIGINT NOT NULL,
    created BIGINT NOT NULL,
    retired BIGINT,
    PRIMARY KEY (kind, name)
);

-- Classification and topic belong to a version (they are part of its
-- content hash), as does its set of attachments (ids, in order, separated by
-- spaces). The tier and the related messages belong to the message; the
-- related ids are sealed under the message's key (they link messages).
ALTER TABLE message_versions ADD COLUMN classification TEXT NOT NULL DEFAULT '';
ALTER TABLE message_versions ADD COLUMN topic TEXT NOT NULL DEFAULT '';
ALTER TABLE message_versions ADD COLUMN attachments TEXT NOT NULL DEFAULT '';
ALTER TABLE messages ADD COLUMN tier TEXT NOT NULL DEFAULT '';
ALTER TABLE messages ADD COLUMN related BLOB;

-- Attachments: name and bytes sealed under the message's key; a row is never
-- changed, so every version keeps the annexes it was signed with.
CREATE TABLE attachments (
    id         TEXT PRIMARY KEY,
    message_id TEXT NOT NULL REFERENCES messages(id),
    name       BLOB NOT NULL,
    size       BIGINT NOT NULL,
    sha256     TEXT NOT NULL,
    content    BLOB NOT NULL,
    created    BIGINT NOT NULL
);
CREATE INDEX attachments_message ON attachments (message_id);

-- +goose Down
-- The audit log's row triggers (installed by the store, internal/store/rows.go)
-- name the columns they watch; they go before the columns, and the store
-- installs them again when it opens the database.
DROP TRIGGER IF EXISTS rc_messages_i;
DROP TRIGGER IF EXISTS rc_messages_u;
DROP TRIGGER IF EXISTS rc_messages_d;
DROP TRIGGER IF EXISTS rc_message_versions_i;
DROP TRIGGER IF EXISTS rc_message_versions_u;
DROP TRIGGER IF EXISTS rc_message_versions_d;
DROP INDEX attachments_message;
DROP TABLE attachments;
ALTER TABLE messages DROP COLUMN related;
ALTER TABLE messages DROP COLUMN tier;
ALTER TABLE message_versions DROP COLUMN attachments;
ALTER TABLE message_versions DROP COLUMN topic;
ALTER TABLE message_versions DROP COLUMN classification;
DROP TABLE vocabulary;

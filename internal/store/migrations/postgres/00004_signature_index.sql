-- +goose Up
-- Whether a person signed a message (any version) reads one index entry.
CREATE INDEX signatures_signer ON signatures(message_id, signer_tag) WHERE withdrawn IS NULL;

-- +goose Down
DROP INDEX signatures_signer;

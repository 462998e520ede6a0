-- +goose Up
-- The number of active unconditional signatures on each version of a
-- message, kept in the transaction that adds or withdraws one, so that a
-- co-signature reads one row instead of counting the version's signatures
-- (which made signing one message n times cost n²/2 index entries). A
-- recorded table: its rows are digested in the audit log like the others.
-- The migration writes no row, and the count is not a column of messages:
-- rows written outside the service's transactions would differ from the
-- digests the log recorded, and `dissent verify` would report them as edited.
-- The store counts a version once, when a signature on it first changes, and
-- keeps the count from then on (internal/store/message.go, tally).
CREATE TABLE signature_tallies (
    message_id    TEXT NOT NULL,
    version       BIGINT NOT NULL,
    unconditional BIGINT NOT NULL,
    PRIMARY KEY (message_id, version),
    FOREIGN KEY (message_id, version) REFERENCES message_versions(message_id, number)
);

-- +goose Down
DROP TABLE signature_tallies;

-- +goose Up
-- Each entry's class (dissent.EventClass: 1 a read, 2 a participant's act,
-- 3 a step of the case or of the deployment), kept beside it so that a
-- reader skips the classes it has no use for without opening their
-- entries: a case's history no longer grows with every recorded read. 0 is
-- an entry written before this column: it is opened to learn its class.
-- dissent verify checks every class against the entry's kind.
ALTER TABLE log_entries ADD COLUMN class SMALLINT NOT NULL DEFAULT 0 CHECK (class BETWEEN 0 AND 3);
DROP INDEX log_entries_message;
CREATE INDEX log_entries_message ON log_entries(message_id, class, seq);

-- +goose Down
DROP INDEX log_entries_message;
ALTER TABLE log_entries DROP COLUMN class;
CREATE INDEX log_entries_message ON log_entries(message_id, seq);

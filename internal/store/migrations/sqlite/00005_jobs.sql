-- Background work coordinated through the database (issue 6): leases, the
-- deadline sweeper's record of reminders sent, notifications and their
-- e-mail outbox, and notification preferences.
--
-- A notification links a person to a message, so the person is stored as in
-- the other participant tables: by keyed pseudonym (person_tag) and sealed
-- under the message's data key (person_sealed), never by id next to the
-- message. No table here holds message text, titles or names.

-- +goose Up
CREATE TABLE leases (
    name    TEXT PRIMARY KEY,
    holder  TEXT NOT NULL,
    expires BIGINT NOT NULL          -- Unix nanoseconds; the lease is free after it
);

-- One row per reminder, escalation or expiry told: the primary key makes a
-- second sweep, on any instance, tell it no more.
CREATE TABLE reminders (
    message_id TEXT NOT NULL REFERENCES messages(id),
    kind       TEXT NOT NULL,
    sent       BIGINT NOT NULL,
    PRIMARY KEY (message_id, kind)
);

CREATE TABLE notifications (
    id            INTEGER PRIMARY KEY,
    person_tag    BLOB NOT NULL,
    person_sealed BLOB NOT NULL,
    kind          TEXT NOT NULL,
    message_id    TEXT NOT NULL REFERENCES messages(id),
    created       BIGINT NOT NULL,
    read_at       BIGINT
);
CREATE INDEX notifications_person ON notifications(person_tag, id);

CREATE TABLE notification_prefs (
    person_id INTEGER PRIMARY KEY REFERENCES people(id),
    email     INTEGER NOT NULL       -- 1: send e-mails, 0: only in the web UI
);

-- The e-mail outbox. A row is claimed by one instance at a time
-- (claimed_by until claimed_until), then marked sent, or put back with a
-- later next_attempt after a failure.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    notification_id BIGINT NOT NULL REFERENCES notifications(id),
    created         BIGINT NOT NULL,
    next_attempt    BIGINT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    claimed_by      TEXT,
    claimed_until   BIGINT,
    sent            BIGINT,
    last_error      TEXT
);
CREATE INDEX outbox_due ON outbox(next_attempt) WHERE sent IS NULL;

-- +goose Down
DROP TABLE outbox;
DROP TABLE notification_prefs;
DROP TABLE notifications;
DROP TABLE reminders;
DROP TABLE leases;

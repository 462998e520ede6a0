-- +goose Up
-- The participants' experience (issue #13).
-- Invitations keep their invitee sealed under the message's key, so that
-- the authors can list who is invited (invitations made before this
-- migration hold none and are listed without a name).
ALTER TABLE invitations ADD COLUMN person_sealed BLOB;

-- A principal's request to meet the authors: one per principal and
-- message, so the page can say it was asked for and the button rests.
CREATE TABLE meeting_requests (
    message_id TEXT NOT NULL REFERENCES messages(id),
    person_tag BLOB NOT NULL,
    created    BIGINT NOT NULL,
    PRIMARY KEY (message_id, person_tag)
);

-- When the authors last reminded the invitees who have not signed (the
-- reminder is rate-limited per message).
CREATE TABLE sign_reminders (
    message_id TEXT PRIMARY KEY REFERENCES messages(id),
    sent       BIGINT NOT NULL
);

-- +goose Down
DROP TABLE sign_reminders;
DROP TABLE meeting_requests;
ALTER TABLE invitations DROP COLUMN person_sealed;

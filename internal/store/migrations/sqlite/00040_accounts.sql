-- People's accounts (issues 11 part 3 and 14): whether a person has ever
-- signed in, deactivation, who issued each sign-in link, credentials that
-- need a second administrator, and notices about one's own account.
--
-- These tables name a person in clear, so their times are days (Unix
-- nanoseconds of 00:00 UTC), never finer; only an e-mail's delivery
-- bookkeeping (next attempt, claim) is finer while it is pending, and is
-- cleared when it is sent. (Sessions name no person since 00020, so a
-- session says nothing of who has signed in.)

-- +goose Up
ALTER TABLE people ADD COLUMN activated INTEGER NOT NULL DEFAULT 0;   -- 1 once the person has signed in or used a token
ALTER TABLE people ADD COLUMN deactivated BIGINT;                     -- the day of deactivation; NULL while active
UPDATE people SET activated = 1
    WHERE id IN (SELECT person_id FROM passkeys)
       OR id IN (SELECT person_id FROM tokens WHERE last_used IS NOT NULL)
       OR id IN (SELECT person_id FROM signin_links WHERE used IS NOT NULL);

ALTER TABLE signin_links ADD COLUMN issued_by TEXT NOT NULL DEFAULT 'operator';  -- admin (a first link), admins (two), operator (the command line)
ALTER TABLE signin_links ADD COLUMN issued BIGINT;                               -- the day
CREATE INDEX signin_links_person ON signin_links(person_id);

-- A credential asked for by one administrator, issued only when another
-- approves it.
CREATE TABLE credential_requests (
    id           INTEGER PRIMARY KEY,
    person_id    INTEGER NOT NULL REFERENCES people(id),
    requested_by INTEGER NOT NULL REFERENCES people(id),
    requested    BIGINT NOT NULL,
    decided_by   INTEGER REFERENCES people(id),
    decided      BIGINT,
    approved     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX credential_requests_person ON credential_requests(person_id);

-- Notices about a person's own account (a credential issued, a request, a
-- deactivation), shown on their account page and e-mailed. A sign-in link
-- to be e-mailed is kept sealed under its own data key until it is sent,
-- then erased.
CREATE TABLE account_notices (
    id            INTEGER PRIMARY KEY,
    person_id     INTEGER NOT NULL REFERENCES people(id),
    kind          TEXT NOT NULL,
    created       BIGINT NOT NULL,
    link_kek      TEXT,
    link_wrapped  BLOB,
    link_sealed   BLOB,
    next_attempt  BIGINT,                     -- NULL: no e-mail
    attempts      INTEGER NOT NULL DEFAULT 0,
    claimed_by    TEXT,
    claimed_until BIGINT,
    sent          BIGINT,
    last_error    TEXT
);
CREATE INDEX account_notices_person ON account_notices(person_id, id);
CREATE INDEX account_notices_due ON account_notices(next_attempt) WHERE sent IS NULL;

-- +goose Down
DROP INDEX account_notices_due;
DROP INDEX account_notices_person;
DROP TABLE account_notices;
DROP INDEX credential_requests_person;
DROP TABLE credential_requests;
DROP INDEX signin_links_person;
ALTER TABLE signin_links DROP COLUMN issued;
ALTER TABLE signin_links DROP COLUMN issued_by;
ALTER TABLE people DROP COLUMN deactivated;
ALTER TABLE people DROP COLUMN activated;

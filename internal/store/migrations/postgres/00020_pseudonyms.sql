-- PostgreSQL twin of migrations/sqlite/00020_pseudonyms.sql (BYTEA for BLOB, BIGINT for INTEGER).
--
-- Per-message pseudonyms and coarse times (issue 11, part 2).
--
-- Participant tags become Tag(message, person): one person's rows on two
-- messages share no value. The tags of an existing deployment (one value
-- per person on every message) cannot be recomputed in SQL; the program
-- refuses to migrate a database that holds messages (store.go,
-- refuseOldPseudonyms) before this migration runs, so the tables below hold
-- no old tag when it does.
--
-- "The messages I take part in" is found through the participation index:
-- entry i of person p lies at Locator(p, i), an HMAC only the keyring can
-- compute, and names one message. No time, no person.
--
-- Tables that name a person in clear keep no time finer than a day, and the
-- participation tables no time that could be joined to one: the times
-- already stored are truncated to the day (UTC) here, and the program
-- stores only days from now on.
--
-- Sessions named their person in clear next to an exact expiry (the last
-- request, plus the idle timeout) and a readable session body. A session row
-- now holds a salted pseudonym of its person (found only to end their
-- sessions) and a body sealed under a key derived from the cookie's token,
-- which the database never holds. Old sessions are dropped: everyone signs
-- in again.

-- +goose Up
CREATE TABLE participation_index (
    locator    BYTEA PRIMARY KEY,                 -- HMAC(pseudonym key, "dissent locator\n" || person || i)
    message_id TEXT NOT NULL REFERENCES messages(id)
);

UPDATE people SET created = created - created % 86400000000000;
UPDATE tokens SET created = created - created % 86400000000000;
UPDATE tokens SET last_used = last_used - last_used % 86400000000000 WHERE last_used IS NOT NULL;
UPDATE tokens SET revoked = revoked - revoked % 86400000000000 WHERE revoked IS NOT NULL;
UPDATE signin_links SET used = used - used % 86400000000000 WHERE used IS NOT NULL;
UPDATE passkeys SET created = created - created % 86400000000000;
UPDATE passkeys SET last_used = last_used - last_used % 86400000000000 WHERE last_used IS NOT NULL;
UPDATE coauthors SET created = created - created % 86400000000000;
UPDATE invitations SET created = created - created % 86400000000000;
UPDATE endorsers SET created = created - created % 86400000000000;
UPDATE endorsers SET endorsed_at = endorsed_at - endorsed_at % 86400000000000 WHERE endorsed_at IS NOT NULL;
UPDATE signatures SET signed = signed - signed % 86400000000000;
UPDATE signatures SET withdrawn = withdrawn - withdrawn % 86400000000000 WHERE withdrawn IS NOT NULL;

DROP TABLE sessions;
CREATE TABLE sessions (
    hash        BYTEA PRIMARY KEY,                -- SHA-256 of the session cookie's token
    person_salt BYTEA,                            -- random, per session; NULL until someone signs in
    person_tag  BYTEA,                            -- Pseudonym(person_salt, person): links to no other row
    data        BYTEA NOT NULL,                   -- sealed under a key derived from the cookie's token
    expiry      BIGINT NOT NULL
);
CREATE INDEX sessions_expiry ON sessions(expiry);

-- +goose Down
DROP TABLE sessions;
CREATE TABLE sessions (
    hash      BYTEA PRIMARY KEY,
    person_id BIGINT REFERENCES people(id),
    data      BYTEA NOT NULL,
    expiry    BIGINT NOT NULL
);
CREATE INDEX sessions_person ON sessions(person_id);
CREATE INDEX sessions_expiry ON sessions(expiry);
DROP TABLE participation_index;

-- The first schema of Dissent. Instants are Unix nanoseconds (UTC);
-- deadlines are RFC 3339 times in the channel office's zone, so that their
-- date is the date in that zone.
--
-- Protected values are sealed (internal/seal) under the message's data key,
-- bound to their table, row and column: columns of type BLOB named *_sealed,
-- and the text columns title, summary, body, input, notes. People who take
-- part in a message (drafter, co-authors, invitees, signers, endorsers) are
-- never stored by id next to it: only by their keyed pseudonym (*_tag) and,
-- where the service must list them, sealed.

-- +goose Up
CREATE TABLE orgs (
    id         TEXT PRIMARY KEY,
    seq        INTEGER NOT NULL UNIQUE,  -- creation order; the first runs the channel office
    name       TEXT NOT NULL,
    time_zone  TEXT NOT NULL,
    created    BIGINT NOT NULL
);

CREATE TABLE units (
    id        TEXT PRIMARY KEY,
    org_id    TEXT NOT NULL REFERENCES orgs(id),
    name      TEXT NOT NULL,
    parent_id TEXT REFERENCES units(id)
);

CREATE TABLE closures (
    org_id TEXT NOT NULL REFERENCES orgs(id),
    day    TEXT NOT NULL,
    reason TEXT NOT NULL,
    PRIMARY KEY (org_id, day)
);

CREATE TABLE people (
    id            INTEGER PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    org_id        TEXT REFERENCES orgs(id),  -- NULL only for the first administrator, made before any organization
    unit_id       TEXT REFERENCES units(id),
    supervisor_id INTEGER REFERENCES people(id),
    created       BIGINT NOT NULL
);
CREATE INDEX people_supervisor ON people(supervisor_id);

CREATE TABLE person_roles (
    person_id INTEGER NOT NULL REFERENCES people(id),
    role      TEXT NOT NULL,
    PRIMARY KEY (person_id, role)
);
CREATE INDEX person_roles_role ON person_roles(role);

CREATE TABLE tokens (
    hash      BLOB PRIMARY KEY,          -- SHA-256 of the bearer token; the token itself is never stored
    person_id INTEGER NOT NULL REFERENCES people(id),
    created   BIGINT NOT NULL,
    revoked   BIGINT
);

CREATE TABLE signin_links (
    hash      BLOB PRIMARY KEY,          -- SHA-256 of the link secret
    person_id INTEGER NOT NULL REFERENCES people(id),
    expires   BIGINT NOT NULL,
    used      BIGINT
);

CREATE TABLE messages (
    id              TEXT PRIMARY KEY,
    org_id          TEXT NOT NULL REFERENCES orgs(id),
    drafter_tag     BLOB NOT NULL,
    drafter_sealed  BLOB NOT NULL,
    state           TEXT NOT NULL,
    version         INTEGER NOT NULL,
    signature_count INTEGER NOT NULL,
    created         BIGINT NOT NULL,
    updated         BIGINT NOT NULL,
    submitted_at    BIGINT,
    acknowledge_by  TEXT,
    reply_by        TEXT,
    reply_days      INTEGER NOT NULL,
    extension_note  BLOB,
    acknowledged_at BIGINT,
    replied_at      BIGINT,
    closed_at       BIGINT,
    redirect_note   BLOB,
    redirect_to     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX messages_drafter ON messages(drafter_tag);

CREATE TABLE message_keys (
    message_id TEXT PRIMARY KEY REFERENCES messages(id),
    kek_id     TEXT NOT NULL,
    wrapped    BLOB NOT NULL
);
CREATE INDEX message_keys_kek ON message_keys(kek_id);
CREATE INDEX messages_submitted ON messages(submitted_at);

CREATE TABLE message_versions (
    message_id   TEXT NOT NULL REFERENCES messages(id),
    number       INTEGER NOT NULL,
    title        BLOB NOT NULL,
    summary      BLOB NOT NULL,
    body         BLOB NOT NULL,
    content_hash TEXT NOT NULL,
    author_tag   BLOB NOT NULL,
    created      BIGINT NOT NULL,
    PRIMARY KEY (message_id, number)
);

CREATE TABLE coauthors (
    message_id TEXT NOT NULL REFERENCES messages(id),
    person_tag BLOB NOT NULL,
    created    BIGINT NOT NULL,
    PRIMARY KEY (message_id, person_tag)
);
CREATE INDEX coauthors_person ON coauthors(person_tag);

CREATE TABLE invitations (
    message_id TEXT NOT NULL REFERENCES messages(id),
    person_tag BLOB NOT NULL,
    created    BIGINT NOT NULL,
    PRIMARY KEY (message_id, person_tag)
);
CREATE INDEX invitations_person ON invitations(person_tag);

CREATE TABLE signatures (
    id            INTEGER PRIMARY KEY,
    message_id    TEXT NOT NULL REFERENCES messages(id),
    version       INTEGER NOT NULL,
    signer_tag    BLOB NOT NULL,
    signer_sealed BLOB NOT NULL,
    content_hash  TEXT NOT NULL,
    min_cosigners INTEGER NOT NULL DEFAULT 0,
    signed        BIGINT NOT NULL,
    withdrawn     BIGINT,
    FOREIGN KEY (message_id, version) REFERENCES message_versions(message_id, number)
);
-- One active signature per person and version: the database, not the code
-- path, guarantees that a signature is counted once.
CREATE UNIQUE INDEX signatures_active ON signatures(message_id, version, signer_tag) WHERE withdrawn IS NULL;
CREATE INDEX signatures_person ON signatures(signer_tag);
-- Counting a version's signatures (and their quorums) reads only this index.
CREATE INDEX signatures_count ON signatures(message_id, version, min_cosigners) WHERE withdrawn IS NULL;

-- Every event is also a leaf of the Merkle log (log_leaves, same index).
-- The actor of an event by someone who takes part in the message is sealed,
-- and committed to in the leaf by a salted hash.
CREATE TABLE events (
    id           INTEGER PRIMARY KEY,  -- the leaf index
    at           BIGINT NOT NULL,
    actor_id     INTEGER,
    actor_sealed BLOB,
    actor_role   TEXT NOT NULL,
    kind         TEXT NOT NULL,
    message_id   TEXT,
    detail       TEXT NOT NULL
);
CREATE INDEX events_message ON events(message_id, id);

-- The RFC 6962 Merkle log: leaf data, and the stored hashes of
-- golang.org/x/mod/sumdb/tlog (every complete subtree, by stored index).
CREATE TABLE log_leaves (
    idx  INTEGER PRIMARY KEY,
    data BLOB NOT NULL
);
CREATE TABLE log_hashes (
    idx  INTEGER PRIMARY KEY,
    hash BLOB NOT NULL
);
CREATE TABLE checkpoints (
    size    INTEGER PRIMARY KEY,
    note    BLOB NOT NULL,
    created BIGINT NOT NULL
);

CREATE TABLE assignments (
    message_id  TEXT NOT NULL REFERENCES messages(id),
    person_id   INTEGER NOT NULL REFERENCES people(id),
    assigned_by INTEGER NOT NULL REFERENCES people(id),
    created     BIGINT NOT NULL,
    PRIMARY KEY (message_id, person_id)
);

CREATE TABLE replies (
    id          INTEGER PRIMARY KEY,
    message_id  TEXT NOT NULL REFERENCES messages(id),
    author_id   INTEGER NOT NULL REFERENCES people(id),
    body        BLOB NOT NULL,
    created     BIGINT NOT NULL,
    approved_by INTEGER REFERENCES people(id),
    approved_at BIGINT
);
CREATE INDEX replies_message ON replies(message_id);

CREATE TABLE consultations (
    id           INTEGER PRIMARY KEY,
    message_id   TEXT NOT NULL REFERENCES messages(id),
    reviewer_id  INTEGER NOT NULL REFERENCES people(id),
    requested_by INTEGER NOT NULL REFERENCES people(id),
    due          BIGINT NOT NULL,
    created      BIGINT NOT NULL,
    input        BLOB,
    answered_at  BIGINT
);
CREATE INDEX consultations_message ON consultations(message_id);
CREATE INDEX consultations_reviewer ON consultations(reviewer_id);

CREATE TABLE endorsers (
    message_id  TEXT NOT NULL REFERENCES messages(id),
    person_tag  BLOB NOT NULL,
    created     BIGINT NOT NULL,
    body        BLOB,
    endorsed_at BIGINT,
    PRIMARY KEY (message_id, person_tag)
);
CREATE INDEX endorsers_person ON endorsers(person_tag);

CREATE TABLE distribution (
    message_id TEXT NOT NULL REFERENCES messages(id),
    person_id  INTEGER NOT NULL REFERENCES people(id),
    created    BIGINT NOT NULL,
    PRIMARY KEY (message_id, person_id)
);
CREATE INDEX distribution_person ON distribution(person_id);

CREATE TABLE meetings (
    id         INTEGER PRIMARY KEY,
    message_id TEXT NOT NULL REFERENCES messages(id),
    held_on    TEXT NOT NULL,
    notes      BLOB NOT NULL,
    recorded   BIGINT NOT NULL,
    by_id      INTEGER NOT NULL REFERENCES people(id)
);
CREATE INDEX meetings_message ON meetings(message_id);

-- +goose Down
DROP TABLE meetings;
DROP TABLE distribution;
DROP TABLE endorsers;
DROP TABLE consultations;
DROP TABLE replies;
DROP TABLE assignments;
DROP TABLE checkpoints;
DROP TABLE log_hashes;
DROP TABLE log_leaves;
DROP TABLE events;
DROP TABLE signatures;
DROP TABLE invitations;
DROP TABLE coauthors;
DROP TABLE message_versions;
DROP TABLE message_keys;
DROP TABLE messages;
DROP TABLE signin_links;
DROP TABLE tokens;
DROP TABLE person_roles;
DROP TABLE people;
DROP TABLE closures;
DROP TABLE units;
DROP TABLE orgs;

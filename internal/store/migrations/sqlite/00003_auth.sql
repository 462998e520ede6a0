-- Sign-in, sessions and API tokens (issue 3). Every credential is stored
-- only as its SHA-256: a stolen database file holds no usable secret.

-- +goose Up
ALTER TABLE tokens ADD COLUMN public_id TEXT;     -- shown to the owner to list and revoke; not a secret
ALTER TABLE tokens ADD COLUMN label TEXT NOT NULL DEFAULT '';
ALTER TABLE tokens ADD COLUMN last_used BIGINT;
UPDATE tokens SET public_id = lower(hex(substr(hash, 1, 8))) WHERE public_id IS NULL;
CREATE UNIQUE INDEX tokens_public_id ON tokens(public_id);
CREATE INDEX tokens_person ON tokens(person_id);

CREATE TABLE sessions (
    hash      BLOB PRIMARY KEY,                  -- SHA-256 of the session cookie's token
    person_id INTEGER REFERENCES people(id),     -- NULL until someone signs in
    data      BLOB NOT NULL,
    expiry    BIGINT NOT NULL
);
CREATE INDEX sessions_person ON sessions(person_id);
CREATE INDEX sessions_expiry ON sessions(expiry);

CREATE TABLE webauthn_handles (
    person_id INTEGER PRIMARY KEY REFERENCES people(id),
    handle    BLOB NOT NULL UNIQUE                -- random; never the person's id or e-mail
);

CREATE TABLE passkeys (
    id         BLOB PRIMARY KEY,                  -- the credential id
    person_id  INTEGER NOT NULL REFERENCES people(id),
    name       TEXT NOT NULL,
    credential BLOB NOT NULL,                     -- the public key record (JSON); no secret
    created    BIGINT NOT NULL,
    last_used  BIGINT
);
CREATE INDEX passkeys_person ON passkeys(person_id);

CREATE TABLE oidc_providers (
    org_id            TEXT PRIMARY KEY REFERENCES orgs(id),
    issuer            TEXT NOT NULL,
    client_id         TEXT NOT NULL,
    client_secret_env TEXT NOT NULL DEFAULT '',   -- the NAME of an environment variable, never the secret
    created           BIGINT NOT NULL
);

-- +goose Down
DROP TABLE oidc_providers;
DROP TABLE passkeys;
DROP TABLE webauthn_handles;
DROP TABLE sessions;
DROP INDEX tokens_person;
DROP INDEX tokens_public_id;
ALTER TABLE tokens DROP COLUMN last_used;
ALTER TABLE tokens DROP COLUMN label;
ALTER TABLE tokens DROP COLUMN public_id;

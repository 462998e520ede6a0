-- The exposure monitor (issue 7): press articles, the feeds they come from, which messages have been
-- matched against the stored articles, and the findings. Articles are public press, stored in clear;
-- findings hold ids and byte offsets only, never text.

-- +goose Up
CREATE TABLE articles (
    id        INTEGER PRIMARY KEY,
    hash      BLOB NOT NULL UNIQUE,              -- SHA-256 of the normalized text: each article is stored once
    title     TEXT NOT NULL,
    url       TEXT NOT NULL,
    body      TEXT NOT NULL,
    source    TEXT NOT NULL,                     -- upload, directory or feed
    feed_id   INTEGER,
    added_by  INTEGER REFERENCES people(id),     -- NULL for the directory and feeds
    added     BIGINT NOT NULL
);
CREATE INDEX articles_added ON articles(added);

CREATE TABLE feeds (
    id        INTEGER PRIMARY KEY,
    url       TEXT NOT NULL UNIQUE,
    added_by  INTEGER REFERENCES people(id),       -- NULL for the command line
    added     BIGINT NOT NULL,
    polled_at BIGINT NOT NULL,                   -- claimed by one instance at a time (see ClaimFeed)
    last_error TEXT NOT NULL
);

CREATE TABLE exposure_scans (
    message_id TEXT PRIMARY KEY REFERENCES messages(id),  -- matched against every article stored before scanned
    scanned    BIGINT NOT NULL
);

CREATE TABLE exposure_findings (
    id         INTEGER PRIMARY KEY,
    article_id INTEGER NOT NULL REFERENCES articles(id),
    message_id TEXT NOT NULL REFERENCES messages(id),
    score      DOUBLE PRECISION NOT NULL,
    passages   TEXT NOT NULL,                    -- JSON: byte offsets and kinds, no text
    found      BIGINT NOT NULL
);
CREATE UNIQUE INDEX exposure_findings_pair ON exposure_findings(article_id, message_id);
CREATE INDEX exposure_findings_message ON exposure_findings(message_id);

-- +goose Down
DROP TABLE exposure_findings;
DROP TABLE exposure_scans;
DROP TABLE feeds;
DROP TABLE articles;

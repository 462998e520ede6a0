-- +goose Up
-- The administrator's search of the directory by e-mail or name prefix:
-- two index range scans, in binary order (collation "C", as on SQLite), so
-- that every string with a prefix lies in one range whatever the
-- database's collation.
CREATE INDEX people_email_prefix ON people ((lower(email) COLLATE "C"));
CREATE INDEX people_name_prefix ON people ((lower(name) COLLATE "C"));

-- +goose Down
DROP INDEX people_name_prefix;
DROP INDEX people_email_prefix;

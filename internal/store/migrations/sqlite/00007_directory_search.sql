-- +goose Up
-- The administrator's search of the directory by e-mail or name prefix:
-- two index range scans, in binary order (SQLite's default collation).
CREATE INDEX people_email_prefix ON people ((lower(email)));
CREATE INDEX people_name_prefix ON people ((lower(name)));

-- +goose Down
DROP INDEX people_name_prefix;
DROP INDEX people_email_prefix;

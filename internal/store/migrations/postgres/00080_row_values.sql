-- +goose Up
-- The values of a written row, as the audit trigger saw them (SQLite), so
-- that the log digests the row without reading it back by its key. NULL
-- where the trigger does not capture them (a row's old key, a deleted row,
-- every row on PostgreSQL): the store then reads the row back as before.
ALTER TABLE row_changes ADD COLUMN v TEXT;

-- +goose Down
ALTER TABLE row_changes DROP COLUMN v;

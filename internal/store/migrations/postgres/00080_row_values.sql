-- +goose Up
-- The values of a written row, as the audit trigger saw them, so that the
-- log digests the row without reading it back by its key. (Today
-- PostgreSQL's triggers fill it: a JSON array of the digested values, or
-- 'null' for a deleted row or an old key; rows.go, valuesExpr. NULL where
-- a trigger captured nothing: the store reads the row back.)
ALTER TABLE row_changes ADD COLUMN v TEXT;

-- +goose Down
ALTER TABLE row_changes DROP COLUMN v;

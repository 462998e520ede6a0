-- +goose Up
-- Each distribution tier's default distribution list, kept by the channel
-- office: the principals' e-mail addresses a message addressed to the tier
-- is offered for distribution to (the office may change the list on each
-- message). Directory data, not content.
CREATE TABLE tier_distribution (
    tier  TEXT NOT NULL,
    email TEXT NOT NULL,
    PRIMARY KEY (tier, email)
);

-- +goose Down
DROP TABLE tier_distribution;

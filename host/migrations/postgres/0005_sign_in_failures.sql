-- Failed sign-ins, counted per username per 15-minute window. The audit
-- chain records the first failure of each window; a flood of guesses adds
-- to a count here instead of one chained entry each.
CREATE TABLE sign_in_failures (
    username TEXT NOT NULL,
    window_start TEXT NOT NULL,
    failures BIGINT NOT NULL,
    last_at TEXT NOT NULL,
    PRIMARY KEY (username, window_start)
);
CREATE INDEX sign_in_failures_by_window ON sign_in_failures (window_start);

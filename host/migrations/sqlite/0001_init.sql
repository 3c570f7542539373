-- Platform tables. Timestamps are UTC RFC 3339 text with milliseconds, so
-- they sort and compare as text on every backend.

CREATE TABLE units (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('police', 'community', 'judicial', 'partner')),
    name_zh TEXT NOT NULL,
    name_ug TEXT NOT NULL,
    name_en TEXT NOT NULL,
    contact TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL
);

CREATE TABLE accounts (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('resident', 'staff', 'admin')),
    unit_id TEXT REFERENCES units (id),
    password_hash TEXT NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0, -- a boolean; sqlx's Any driver cannot read SQLite BOOLEAN
    created_at TEXT NOT NULL,
    CHECK ((role = 'staff') = (unit_id IS NOT NULL))
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    revoked_at TEXT
);
CREATE INDEX sessions_by_account ON sessions (account_id);

CREATE TABLE plugins (
    id TEXT PRIMARY KEY,
    owner_unit TEXT REFERENCES units (id),
    active_version TEXT,
    created_at TEXT NOT NULL
);

-- Every uploaded version is kept, with its bytes and what it asked for, so
-- an admin can review it, and roll back to any approved version at once.
CREATE TABLE plugin_versions (
    plugin_id TEXT NOT NULL REFERENCES plugins (id),
    version TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size BIGINT NOT NULL,
    component BLOB NOT NULL,
    manifest TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'active', 'rejected', 'suspended', 'retired', 'superseded')),
    requested TEXT NOT NULL,        -- JSON list of grants the manifest asks for
    requested_limits TEXT NOT NULL, -- JSON limits the manifest asks for
    granted TEXT,                   -- JSON list of grants, once approved
    granted_limits TEXT,            -- JSON limits, once approved
    uploaded_by TEXT NOT NULL,      -- account id, or 'system'
    uploaded_unit TEXT,
    uploaded_at TEXT NOT NULL,
    reviewed_by TEXT,
    reviewed_at TEXT,
    review_note TEXT,
    PRIMARY KEY (plugin_id, version)
);
CREATE INDEX plugin_versions_by_state ON plugin_versions (state);

-- The evidence trail: append-only and hash-chained (see host/src/audit).
CREATE TABLE audit_log (
    seq BIGINT PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    actor_unit TEXT,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    details TEXT NOT NULL,
    request_id TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_log_by_action ON audit_log (action);
CREATE INDEX audit_log_by_target ON audit_log (target);

-- The chain's head: one row, locked by every append so appends serialise.
CREATE TABLE audit_head (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

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
    disabled BOOLEAN NOT NULL DEFAULT FALSE,
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

CREATE TABLE plugin_versions (
    plugin_id TEXT NOT NULL REFERENCES plugins (id),
    version TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size BIGINT NOT NULL,
    component BYTEA NOT NULL,
    manifest TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'active', 'rejected', 'suspended', 'retired', 'superseded')),
    installed_by TEXT NOT NULL,
    installed_at TEXT NOT NULL,
    PRIMARY KEY (plugin_id, version)
);

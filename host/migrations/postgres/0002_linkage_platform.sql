-- The linkage layer, platform side (see store/mod.rs: written by the
-- platform alone, never inside a plugin's transaction).

-- The communities of the city, and the areas each unit serves.
CREATE TABLE areas (
    id TEXT PRIMARY KEY,
    name_zh TEXT NOT NULL,
    name_ug TEXT NOT NULL,
    name_en TEXT NOT NULL,
    created_at TEXT NOT NULL
);

-- `area_id = '*'` means every area.
CREATE TABLE unit_areas (
    unit_id TEXT NOT NULL REFERENCES units (id),
    area_id TEXT NOT NULL,
    PRIMARY KEY (unit_id, area_id)
);

-- What a unit's staff may do with the shared record through the staff
-- API: a JSON list of `records` grants, in the same terms as plugin grants.
CREATE TABLE unit_grants (
    unit_id TEXT PRIMARY KEY REFERENCES units (id),
    grants TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- A resident's consent that a partner unit's service reads their personal data.
CREATE TABLE consents (
    resident TEXT NOT NULL,
    service TEXT NOT NULL,
    given_at TEXT NOT NULL,
    PRIMARY KEY (resident, service)
);

-- Every read of a personal column of the shared record: who read whose
-- data, through what, and why. Kept even when the request rolled back.
CREATE TABLE access_log (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at TEXT NOT NULL,
    resident TEXT NOT NULL,
    table_name TEXT NOT NULL,
    row_id BIGINT NOT NULL,
    columns TEXT NOT NULL,          -- JSON list of column names
    via TEXT NOT NULL,              -- 'plugin' or 'staff-console'
    plugin TEXT,
    plugin_version TEXT,
    unit TEXT,
    actor TEXT NOT NULL,
    request_id TEXT NOT NULL,
    purpose_zh TEXT NOT NULL,
    purpose_ug TEXT NOT NULL,
    purpose_en TEXT NOT NULL,
    hidden_until TEXT,
    hidden_reason TEXT
);
CREATE INDEX access_log_by_resident ON access_log (resident, at);

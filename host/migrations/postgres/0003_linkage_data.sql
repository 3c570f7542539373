-- The linkage layer, data side (see store/mod.rs: what a plugin's request
-- transaction may write, beside the plugin tables). Timestamps are UTC
-- RFC 3339 text with milliseconds. The shared record tables themselves are
-- created from host/schema/records.toml at start.

-- Who last wrote each field of the shared record.
CREATE TABLE record_provenance (
    table_name TEXT NOT NULL,
    row_id BIGINT NOT NULL,
    column_name TEXT NOT NULL,
    unit TEXT,
    plugin TEXT,
    plugin_version TEXT,
    actor TEXT NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (table_name, row_id, column_name)
);

-- Cases: the reference is computed (`PREFIX-YEAR-ID`), never stored twice.
CREATE TABLE cases (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    prefix TEXT NOT NULL,
    service TEXT NOT NULL,
    kind TEXT NOT NULL,
    resident TEXT NOT NULL,
    unit TEXT NOT NULL,             -- the lead unit now
    area TEXT,                      -- the resident's area when it opened
    status TEXT NOT NULL CHECK (status IN ('requested', 'accepted', 'rejected', 'in-progress', 'on-hold', 'completed', 'cancelled', 'failed')),
    data TEXT NOT NULL,
    opened_at TEXT NOT NULL,
    due_at TEXT,
    closed_at TEXT,
    updated_at TEXT NOT NULL,
    rating INTEGER,
    rating_comment TEXT,
    rated_at TEXT
);
CREATE INDEX cases_by_resident ON cases (resident, opened_at);
CREATE INDEX cases_by_service ON cases (service, status);

-- Every unit a case has been with: the lead, units brought in to assist,
-- and former leads (who keep seeing the case they handed over).
CREATE TABLE case_units (
    case_id BIGINT NOT NULL REFERENCES cases (id),
    unit TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('lead', 'assist', 'former')),
    since TEXT NOT NULL,
    PRIMARY KEY (case_id, unit)
);
CREATE INDEX case_units_by_unit ON case_units (unit, case_id);

-- The append-only history of a case, across every unit it passed through.
CREATE TABLE case_history (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    case_id BIGINT NOT NULL REFERENCES cases (id),
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    actor_unit TEXT,
    action TEXT NOT NULL CHECK (action IN ('opened', 'transition', 'referred', 'involved', 'note', 'rated')),
    from_status TEXT,
    to_status TEXT,
    from_unit TEXT,
    to_unit TEXT,
    note TEXT NOT NULL,
    via TEXT NOT NULL               -- the plugin id, or 'staff-console' / 'portal'
);
CREATE INDEX case_history_by_case ON case_history (case_id, id);

-- A resident's inbox, rendered in all three languages when sent.
CREATE TABLE notifications (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    resident TEXT NOT NULL,
    source TEXT NOT NULL,           -- service id, 'cases' or 'alert'
    template TEXT,
    text_zh TEXT NOT NULL,
    text_ug TEXT NOT NULL,
    text_en TEXT NOT NULL,
    case_id BIGINT,
    alert_id BIGINT,
    created_at TEXT NOT NULL,
    read_at TEXT
);
CREATE INDEX notifications_by_resident ON notifications (resident, id);

-- Alerts staff sent to the residents of their areas (anti-fraud warnings).
CREATE TABLE alerts (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    unit TEXT NOT NULL,
    areas TEXT NOT NULL,            -- JSON list of area ids
    text_zh TEXT NOT NULL,
    text_ug TEXT NOT NULL,
    text_en TEXT NOT NULL,
    sent_by TEXT NOT NULL,
    sent_at TEXT NOT NULL,
    recipients BIGINT NOT NULL
);

-- CPS charging store: files awaiting a decision, decisions (reasons stay here), reviews.
CREATE TABLE files (
    urn              text PRIMARY KEY,
    force_code       text NOT NULL,
    risk_level       text NOT NULL,
    suspect          jsonb NOT NULL,
    offence_codes    jsonb NOT NULL,
    evidence         jsonb NOT NULL,
    requested_test   text NOT NULL,
    anticipated_plea text NOT NULL,
    remanded         boolean NOT NULL DEFAULT false,
    victim_support   text NOT NULL DEFAULT 'unknown',
    status           text NOT NULL,
    received_at      timestamptz NOT NULL,
    due_date         date,
    review_by        date,
    last_decision    jsonb,
    decided_at       timestamptz,
    days_to_decision integer,
    discontinued_at  timestamptz
);
CREATE INDEX files_status ON files (status, received_at);

CREATE TABLE decisions (
    id          bigserial PRIMARY KEY,
    urn         text NOT NULL REFERENCES files (urn),
    decision    text NOT NULL,
    test        text NOT NULL,
    basis       text,
    charges     jsonb NOT NULL,
    due_date    date,
    bail_risk_justification text,
    reason      text NOT NULL,
    prosecutor  text NOT NULL,
    decided_at  timestamptz NOT NULL
);

CREATE TABLE reviews (
    review_id     text PRIMARY KEY,
    urn           text NOT NULL REFERENCES files (urn),
    decision_type text NOT NULL,
    requested_at  timestamptz NOT NULL,
    requested_by  text NOT NULL,
    late          boolean NOT NULL,
    outcome       text,
    reason        text,
    decided_at    timestamptz
);

-- SDAC listing store: sessions with capacity, hearings, the court's view of each case.
CREATE TABLE sessions (
    session_id text PRIMARY KEY,
    court_code text NOT NULL,
    starts_at  timestamptz NOT NULL,
    capacity   integer NOT NULL CHECK (capacity >= 0),
    used       integer NOT NULL DEFAULT 0 CHECK (used >= 0),
    closed     boolean NOT NULL DEFAULT false
);
CREATE INDEX sessions_start ON sessions (starts_at, session_id);

CREATE TABLE cases (
    urn              text PRIMARY KEY,
    force_code       text,
    risk_level       text,
    remanded         boolean NOT NULL DEFAULT false,
    anticipated_plea text NOT NULL DEFAULT 'unknown',
    charged_at       timestamptz NOT NULL,
    not_guilty_plea  boolean NOT NULL DEFAULT false,
    guilty_plea      boolean NOT NULL DEFAULT false,
    verdict          text,
    sentence         jsonb,
    discontinued     boolean NOT NULL DEFAULT false
);

CREATE TABLE hearings (
    hearing_id   text PRIMARY KEY,
    urn          text NOT NULL REFERENCES cases (urn),
    type         text NOT NULL,
    status       text NOT NULL,
    weight       integer NOT NULL,
    target_at    timestamptz NOT NULL,
    session_id   text REFERENCES sessions (session_id),
    result       text,
    reason_code  text,
    familiarisation jsonb,
    created_at   timestamptz NOT NULL DEFAULT now(),
    resulted_at  timestamptz
);
CREATE INDEX hearings_urn ON hearings (urn);
CREATE INDEX hearings_unlisted ON hearings (status) WHERE status = 'unlisted';

CREATE TABLE special_measures (
    request_id   text PRIMARY KEY,
    urn          text NOT NULL,
    measures     jsonb NOT NULL,
    requested_at timestamptz NOT NULL,
    granted      boolean,
    decided_measures jsonb,
    refusal_reason text,
    decided_at   timestamptz
);

CREATE TABLE restraining_orders (
    id         bigserial PRIMARY KEY,
    urn        text NOT NULL REFERENCES cases (urn),
    basis      text NOT NULL,
    until      date,
    conditions jsonb NOT NULL,
    made_at    timestamptz NOT NULL
);

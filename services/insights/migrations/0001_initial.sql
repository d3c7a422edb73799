-- Insights: a read-only projection of every agency's events, one row of dated facts per case.
CREATE TABLE facts (
    urn               text PRIMARY KEY,
    force_code        text,
    reported_at       timestamptz,
    arrested_at       timestamptz,
    requested_at      timestamptz,
    decision          text,
    decided_at        timestamptz,
    days_to_decision  integer,
    finalised_at      timestamptz,
    guilty_plea_at    timestamptz,
    verdict           text,
    verdict_at        timestamptz,
    discontinued      text,
    discontinued_at   timestamptz,
    closure_code      text,
    closed_at         timestamptz
);

CREATE TABLE orders (
    event_id text PRIMARY KEY,
    urn      text NOT NULL,
    made_at  timestamptz NOT NULL
);

CREATE TABLE notifications (
    event_id text PRIMARY KEY,
    urn      text NOT NULL,
    told_at  timestamptz NOT NULL,
    on_time  integer NOT NULL,
    late     integer NOT NULL
);

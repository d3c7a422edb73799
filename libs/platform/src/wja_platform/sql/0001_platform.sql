-- Tables every service has: the outbox (its published log), the inbox (events applied),
-- parked events (waiting for an earlier one), dead letters, and relay state.

CREATE TABLE outbox (
    id           bigserial PRIMARY KEY,
    ce_id        text NOT NULL,
    urn          text NOT NULL,
    ce_type      text NOT NULL,
    topic        text NOT NULL,
    value        bytea NOT NULL,
    headers      jsonb NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    published_at timestamptz
);
CREATE UNIQUE INDEX outbox_ce_id ON outbox (topic, ce_id);
CREATE INDEX outbox_unpublished ON outbox (id) WHERE published_at IS NULL;
CREATE INDEX outbox_created_at ON outbox (created_at);
COMMENT ON TABLE outbox IS
  'Append-only, retained log of what this service published; the relay republishes from it.';

CREATE TABLE inbox (
    consumer     text NOT NULL,
    event_key    text NOT NULL,
    ce_type      text NOT NULL,
    urn          text NOT NULL,
    outcome      text NOT NULL DEFAULT 'applied',
    processed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, event_key)
);

CREATE TABLE parked (
    seq             bigserial PRIMARY KEY,
    consumer        text NOT NULL,
    event_key       text NOT NULL,
    urn             text NOT NULL,
    topic           text NOT NULL,
    partition       integer NOT NULL,
    "offset"        bigint NOT NULL,
    key             bytea,
    value           bytea,
    headers         jsonb NOT NULL,
    reason          text NOT NULL,
    attempts        integer NOT NULL DEFAULT 1,
    first_parked_at timestamptz NOT NULL DEFAULT now(),
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (consumer, event_key)
);
CREATE INDEX parked_urn ON parked (consumer, urn, seq);
CREATE INDEX parked_due ON parked (next_attempt_at);

CREATE TABLE dead_letters (
    id           bigserial PRIMARY KEY,
    consumer     text NOT NULL,
    event_key    text,
    urn          text,
    ce_type      text,
    topic        text NOT NULL,
    partition    integer NOT NULL,
    "offset"     bigint NOT NULL,
    group_id     text NOT NULL,
    attempts     integer NOT NULL,
    reason       text NOT NULL,
    key          bytea,
    value        bytea,
    headers      jsonb NOT NULL,
    status       text NOT NULL DEFAULT 'open',
    created_at   timestamptz NOT NULL DEFAULT now(),
    resolved_at  timestamptz
);
CREATE INDEX dead_letters_open ON dead_letters (consumer, id) WHERE status = 'open';

CREATE TABLE relay_state (
    name  text PRIMARY KEY,
    value text NOT NULL
);
CREATE UNIQUE INDEX dead_letters_open_key ON dead_letters (consumer, event_key) WHERE status = 'open';

-- Idempotency keys of POST requests: the first answer, kept so a retry gets it again.
-- The row commits in the same transaction as the request's effect (see wja_platform.idempotency).

CREATE TABLE idempotency_keys (
    owner        text NOT NULL,
    key          text NOT NULL,
    fingerprint  text NOT NULL,
    status       integer,
    content_type text,
    body         bytea,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (owner, key)
);
CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at);
COMMENT ON TABLE idempotency_keys IS
  'Answers to POSTs sent with an Idempotency-Key, per caller; pruned after the retention period.';

-- Counts of the cases whose per-case rows were purged (retention), by force, UTC day, measure
-- and key: no URN, no per-case row. Past periods' figures stay the same after a purge.
CREATE TABLE archive (
    force_code text   NOT NULL,  -- '' when the case's force was not known
    day        date   NOT NULL,
    measure    text   NOT NULL,
    key        text   NOT NULL DEFAULT '',
    n          bigint NOT NULL CHECK (n > 0),
    PRIMARY KEY (force_code, day, measure, key)
);
COMMENT ON TABLE archive IS
  'Aggregate counts of purged cases (wja_insights.domain.archive); emptied by a rebuild with the facts.';

-- When each timeline entry arrived here (for latency measurements and operators).
ALTER TABLE entries ADD COLUMN arrived_at timestamptz NOT NULL DEFAULT clock_timestamp();

-- Intake (police) store. Victim contact details live only here, encrypted (table victims).
CREATE TABLE urn_counters (
    force_code text NOT NULL,
    unit       text NOT NULL,
    year       integer NOT NULL,
    last       integer NOT NULL,
    PRIMARY KEY (force_code, unit, year)
);

CREATE TABLE cases (
    urn             text PRIMARY KEY,
    force_code      text NOT NULL,
    unit            text NOT NULL,
    victim_ref      text NOT NULL,
    status          text NOT NULL,
    reported_at     timestamptz NOT NULL,
    offences        jsonb NOT NULL,
    suspect         jsonb NOT NULL,
    risk            jsonb NOT NULL,
    referral_basis  text NOT NULL,
    consent_withdrawn boolean NOT NULL DEFAULT false,
    victim_support  text NOT NULL DEFAULT 'unknown',
    arrested_at     timestamptz,
    interviewed_at  timestamptz,
    bail            jsonb,
    protective      jsonb NOT NULL DEFAULT '[]',
    action_plan     jsonb,
    cps_decision    jsonb,
    closure         jsonb,
    assigned_idva   text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX cases_force_status ON cases (force_code, status);

CREATE TABLE victims (
    urn         text PRIMARY KEY REFERENCES cases (urn),
    key_id      text NOT NULL,
    wrapped_key bytea NOT NULL,
    ciphertext  bytea NOT NULL
);
COMMENT ON TABLE victims IS 'Victim contact details, envelope-encrypted per row (key id per row).';

CREATE TABLE referral_audit (
    id       bigserial PRIMARY KEY,
    urn      text NOT NULL,
    sub      text NOT NULL,
    agency   text NOT NULL,
    role     text NOT NULL,
    purpose  text NOT NULL,
    outcome  text NOT NULL,
    read_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX referral_audit_urn ON referral_audit (urn, id);

CREATE FUNCTION referral_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'referral_audit is append-only';
END $$;
CREATE TRIGGER referral_audit_no_change BEFORE UPDATE OR DELETE ON referral_audit
    FOR EACH ROW EXECUTE FUNCTION referral_audit_append_only();

-- IDVA support store: a pseudonymous projection of every case, the IDVA roster,
-- and the victim's contact details for referred cases (encrypted, purged on consent withdrawal).
CREATE TABLE cases (
    urn            text PRIMARY KEY,
    force_code     text,
    victim_ref     text,
    stage          text NOT NULL DEFAULT 'reported',
    referral_basis text,
    idva           text,
    team           text,
    contact_status text NOT NULL DEFAULT 'none',
    contact_attempts integer NOT NULL DEFAULT 0,
    next_contact_at timestamptz,
    custody_months integer,
    support_closed boolean NOT NULL DEFAULT false,
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX cases_idva ON cases (idva);
CREATE INDEX cases_contact_due ON cases (next_contact_at) WHERE contact_status IN ('pending', 'failed_retrying');

CREATE TABLE entries (
    id             text PRIMARY KEY,
    seq            bigserial,
    urn            text NOT NULL,
    at             timestamptz NOT NULL,
    agency         text NOT NULL,
    event_type     text NOT NULL,
    summary        text NOT NULL,
    duty_holder    text,
    tell_victim_by timestamptz,
    told_at        timestamptz,
    told_by        text,
    channel        text
);
CREATE INDEX entries_urn ON entries (urn, at, seq);
CREATE INDEX entries_open ON entries (tell_victim_by) WHERE told_at IS NULL AND tell_victim_by IS NOT NULL;

CREATE TABLE contacts (
    urn         text PRIMARY KEY,
    key_id      text NOT NULL,
    wrapped_key bytea NOT NULL,
    ciphertext  bytea NOT NULL,
    fetched_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE contacts IS 'Victim contact details from the claim check, envelope-encrypted; deleted on consent withdrawal.';

CREATE TABLE roster (
    sub    text PRIMARY KEY,
    team   text NOT NULL,
    forces jsonb NOT NULL,
    active boolean NOT NULL DEFAULT true
);

-- Every read of support's decrypted copy of a victim's contact details: who, with what purpose,
-- when, and the outcome (read, refused, not_held). Append-only: a trigger refuses UPDATE and DELETE.
CREATE TABLE contact_read_audit (
    id       bigserial PRIMARY KEY,
    urn      text NOT NULL,
    sub      text NOT NULL,
    agency   text NOT NULL,
    role     text NOT NULL,
    team     text,
    purpose  text NOT NULL,
    outcome  text NOT NULL,
    read_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX contact_read_audit_urn ON contact_read_audit (urn, id);

CREATE FUNCTION contact_read_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'contact_read_audit is append-only';
END $$;
CREATE TRIGGER contact_read_audit_no_change BEFORE UPDATE OR DELETE ON contact_read_audit
    FOR EACH ROW EXECUTE FUNCTION contact_read_audit_append_only();

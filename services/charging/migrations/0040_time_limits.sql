-- When each reported offence occurred and when the victim first gave a formal statement: the CPS
-- checks summary time limits (MCA 1980 s127, CJA 1988 s39A) and commencement dates with them.
ALTER TABLE files ADD COLUMN offences_occurred_at jsonb NOT NULL DEFAULT '[]';
ALTER TABLE files ADD COLUMN first_statement_at timestamptz;
-- A Victims' Right to Review more than 3 months after the decision is accepted only exceptionally.
ALTER TABLE reviews ADD COLUMN exceptional boolean NOT NULL DEFAULT false;
ALTER TABLE reviews ADD COLUMN exceptional_reason text;

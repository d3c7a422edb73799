-- The forces on the assigned IDVA's roster entry (from wja.support.idva.assigned.v1): the claim
-- check admits that IDVA only for a case of one of them. NULL: not known, admits nobody.
ALTER TABLE cases ADD COLUMN assigned_idva_forces jsonb;
-- When the victim's contact details were purged (retention): a claim check then answers 410 Gone,
-- distinguishable from a victims row missing by a bug.
ALTER TABLE cases ADD COLUMN contact_purged_at timestamptz;

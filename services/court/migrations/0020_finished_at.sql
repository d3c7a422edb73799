-- When the court's part of a case ended (sentence, acquittal or dismissal, discontinuance):
-- the case is purged a retention period later (see the service README).
ALTER TABLE cases ADD COLUMN finished_at timestamptz;
-- Cases that ended before this column existed start their retention period now.
UPDATE cases SET finished_at = now()
 WHERE finished_at IS NULL AND (sentence IS NOT NULL OR verdict IN ('acquitted', 'dismissed') OR discontinued);

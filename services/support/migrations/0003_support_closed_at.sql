-- When support closed: the copy of the victim's contact details is purged a retention period later.
ALTER TABLE cases ADD COLUMN support_closed_at timestamptz;
-- Cases closed before this column existed start their retention period now.
UPDATE cases SET support_closed_at = now() WHERE support_closed AND support_closed_at IS NULL;

-- Why each dead letter was made (poison, failed, parked), for the wja_dead_letters_open gauge
-- and `wja status`. Rows from before this column are classified by their reason's prefix.
ALTER TABLE dead_letters ADD COLUMN kind text;
UPDATE dead_letters SET kind = CASE
    WHEN reason LIKE 'poison:%' THEN 'poison'
    WHEN reason LIKE 'parking timeout:%' THEN 'parked'
    ELSE 'failed' END;
ALTER TABLE dead_letters ALTER COLUMN kind SET NOT NULL;

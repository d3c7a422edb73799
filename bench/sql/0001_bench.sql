-- bench/consume_ratio.py's service: a state row per case (its migration; the platform's tables come first).
CREATE TABLE seen (urn text PRIMARY KEY, n integer NOT NULL);

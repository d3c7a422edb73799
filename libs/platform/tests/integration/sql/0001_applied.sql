CREATE TABLE applied (
    event_key text NOT NULL,
    urn       text NOT NULL,
    seq       bigserial PRIMARY KEY
);

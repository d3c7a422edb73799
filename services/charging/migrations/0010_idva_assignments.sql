-- The IDVA assigned to each case (from wja.support.idva.assigned.v1): a VRR request by an IDVA
-- token must come from that IDVA or a manager of their team. References only, no victim data.
CREATE TABLE idva_assignments (
    urn         text PRIMARY KEY,
    idva        text NOT NULL,
    team        text NOT NULL,
    assigned_at timestamptz NOT NULL
);

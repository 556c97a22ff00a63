-- claims counts the claims of a task: every claim raises it and nothing
-- lowers it, so the pair (task, claims) names one lease for good. Workers'
-- reports carry it: attempts cannot fence them, as a release or a pause
-- gives the interrupted attempt back, and the next claim by the same worker
-- would have the same attempts. Tasks already stored start at 0.
ALTER TABLE tasks ADD COLUMN claims INTEGER NOT NULL DEFAULT 0;

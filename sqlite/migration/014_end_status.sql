-- The four covering list indexes held a task's status, so every change of
-- status of a living task (WAITING, INITIAL, RUNNING: a promotion, a claim)
-- moved its entries in all four, and with many tenants each commit rewrote a
-- leaf of each index per tenant it touched: four fifths of the WAL's pages
-- (docs/BENCHMARKS.md). They hold end_status instead: the status a task
-- ended in, '' while it lives, which changes when a task ends (or comes
-- back to life) and not before. Lists read a living task's status from its
-- row (sqlite/list.go).
ALTER TABLE tasks ADD COLUMN end_status TEXT NOT NULL DEFAULT '';
UPDATE tasks SET end_status = status WHERE status IN ('SUCCEED', 'FAILED', 'KILLED', 'REMOVED');

DROP INDEX tasks_tenant_id_cov;
DROP INDEX tasks_tenant_status_id_cov;
DROP INDEX tasks_tenant_type_id_cov;
DROP INDEX tasks_tenant_created_at_status_type;
CREATE INDEX tasks_tenant_id_cov ON tasks (tenant, id, end_status, type, created_at);
CREATE INDEX tasks_tenant_end_status_id_cov ON tasks (tenant, end_status, id, type, created_at);
CREATE INDEX tasks_tenant_type_id_cov ON tasks (tenant, type, id, end_status, created_at);
CREATE INDEX tasks_tenant_created_at_end_status_type ON tasks (tenant, created_at, end_status, type);

-- The ready tasks of each type in id order, with the time each may run:
-- a claim of a worker's types walks these, one type after another, and
-- reads only the tasks it may take. A walk of all ready tasks in id order
-- read first every ready task of other types, so a backlog that no worker
-- of these types takes made each of their claims read all of it.
CREATE INDEX tasks_ready_type ON tasks (type, id, run_after) WHERE status = 'INITIAL';

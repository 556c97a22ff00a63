-- The ready tasks of each type in id order: a claim of a worker's types
-- walks these, one type after another, and reads only the tasks it may
-- take. A walk of all ready tasks in id order read first every ready task
-- of other types, so a backlog that no worker of these types takes made
-- each of their claims read all of it.
--
-- The planner cannot tell which walk is shorter (it takes the types to be
-- spread evenly over the ready tasks), so each claim is given one index
-- alone, by the conditions of the indexes: a task's type is never NULL and
-- its id is always above 0, and a claim of given types states the first,
-- every other claim the second (postgres/claim.go). A claim of no type
-- cannot take this index, which it would read whole and sort.
CREATE INDEX tasks_ready_type ON tasks (type, id) INCLUDE (run_after)
    WHERE status = 'INITIAL' AND type IS NOT NULL;
-- tasks_ready is built again under another name and swapped in last: a
-- dropped index keeps its table locked, against reads too, until the
-- migrations commit, so the drop comes after the builds.
CREATE INDEX tasks_ready_fenced ON tasks (id) WHERE status = 'INITIAL' AND id > 0;
DROP INDEX tasks_ready;
ALTER INDEX tasks_ready_fenced RENAME TO tasks_ready;

-- tasks_ended (002) again, its condition written as comparisons. SQLite
-- checks a partial index's condition on every insert of a task and on
-- every update of it, and it checks IN with more than two constants by
-- building a temporary b-tree of them first, once for each row written:
-- the engine's writes built and freed several for each task. The index
-- holds the same rows; the prune's query names the same condition.
DROP INDEX tasks_ended;
CREATE INDEX tasks_ended ON tasks (ended_at)
    WHERE status = 'SUCCEED' OR status = 'FAILED' OR status = 'KILLED' OR status = 'REMOVED';

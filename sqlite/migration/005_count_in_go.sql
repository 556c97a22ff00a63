-- Inserts and changes of status are counted by the writes themselves, once
-- per group and transaction (sqlite/counts_write.go), no longer by a trigger
-- per row. Deletions keep their trigger (004).

DROP TRIGGER tasks_count_insert;
DROP TRIGGER tasks_count_update;

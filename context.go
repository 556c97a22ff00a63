package taskcenter

import (
	"bytes"
	"encoding/json"
)

// MaxContextBytes bounds the JSON context of one task.
const MaxContextBytes = 64 << 10

// RollbackContext is the context of a ROLLBACK or BATCH ROLLBACK task. Its
// shape is the taskContext.data of Tencent's GetCdbRollbackJob, so that API
// can answer from it.
type RollbackContext struct {
	Operator     string          `json:"operator,omitempty"`
	RollbackTime string          `json:"rollbackTime,omitempty"`
	Strategy     string          `json:"strategy,omitempty"`
	DBs          []RollbackDB    `json:"dbs,omitempty"`
	Tables       []RollbackTable `json:"tables,omitempty"`
}

// RollbackDB renames one database restored by a rollback.
type RollbackDB struct {
	DBName  string `json:"dbname"`
	NewName string `json:"newname"`
}

// RollbackTable lists the tables of one database restored by a rollback.
type RollbackTable struct {
	DB    string                 `json:"db"`
	Table []RollbackTableRenamed `json:"table"`
}

// RollbackTableRenamed renames one table restored by a rollback.
type RollbackTableRenamed struct {
	TableName string `json:"tablename"`
	NewName   string `json:"newname"`
}

// ValidateContext checks the context of a task of the given type: a JSON
// object, and for rollback types the databases or tables to restore, each
// with its new name. It returns the canonical bytes to store.
func ValidateContext(taskType string, raw json.RawMessage) (json.RawMessage, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		raw = json.RawMessage("{}")
	}
	if len(raw) > MaxContextBytes {
		return nil, Invalidf("context", "context must be at most %d bytes", MaxContextBytes)
	}
	if raw[0] != '{' || !json.Valid(raw) {
		return nil, Invalidf("context", "context must be a JSON object")
	}
	if taskType != TypeRollback && taskType != TypeBatchRollback {
		return raw, nil
	}
	var rc RollbackContext
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&rc); err != nil {
		return nil, Invalidf("context", "a %s context must have the rollback shape: %v", taskType, err)
	}
	if len(rc.DBs) == 0 && len(rc.Tables) == 0 {
		return nil, Invalidf("context.dbs", "a %s task needs context.dbs or context.tables", taskType)
	}
	for _, db := range rc.DBs {
		if db.DBName == "" || db.NewName == "" {
			return nil, Invalidf("context.dbs", "every entry of context.dbs needs dbname and newname")
		}
	}
	for _, t := range rc.Tables {
		if t.DB == "" || len(t.Table) == 0 {
			return nil, Invalidf("context.tables", "every entry of context.tables needs db and at least one table")
		}
		for _, tt := range t.Table {
			if tt.TableName == "" || tt.NewName == "" {
				return nil, Invalidf("context.tables", "every table of context.tables needs tablename and newname")
			}
		}
	}
	return raw, nil
}

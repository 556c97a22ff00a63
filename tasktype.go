package taskcenter

import (
	"regexp"
	"sort"
	"time"
)

// TaskType is an entry of the task-type catalog.
type TaskType struct {
	// Key names the type; tasks refer to it. Built-in keys are the Tencent CDB
	// type strings ("ROLLBACK") and the Huawei DDS task names ("RestartInstance").
	Key string
	// TencentCode is the Tencent CDB integer code, or 0 when the type has none.
	TencentCode int
	// Description says what the task does, for people.
	Description string
	// Exclusive types never run concurrently with another exclusive task on
	// the same instance.
	Exclusive bool
	// Timeout bounds one attempt; 0 means the engine default.
	Timeout time.Duration
	// MaxAttempts bounds the attempts of a task of this type; 0 means the engine default.
	MaxAttempts int
	// Builtin marks the types shipped with taskcenter; they cannot be changed.
	Builtin bool
}

var typeKeyRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9 _.-]{0,63}$`)

// Validate reports the first problem with an operator-defined type.
func (t *TaskType) Validate() error {
	switch {
	case !typeKeyRE.MatchString(t.Key):
		return Invalidf("key", "type key must be 1 to 64 letters, digits, spaces, '_', '.' or '-', starting with a letter")
	case t.TencentCode < 0:
		return Invalidf("tencent_code", "tencent_code must not be negative")
	case t.Timeout < 0:
		return Invalidf("timeout_seconds", "timeout_seconds must not be negative")
	case t.MaxAttempts < 0 || t.MaxAttempts > 100:
		return Invalidf("max_attempts", "max_attempts must be between 0 and 100")
	case len(t.Description) > 512:
		return Invalidf("description", "description must be at most 512 bytes")
	}
	return nil
}

// Tencent CDB task types, keyed by the strings of DescribeTasks' TaskType.
const (
	TypeRollback         = "ROLLBACK"
	TypeSQLOperation     = "SQL OPERATION"
	TypeImportData       = "IMPORT DATA"
	TypeModifyParam      = "MODIFY PARAM"
	TypeInitial          = "INITIAL"
	TypeReboot           = "REBOOT"
	TypeOpenGTID         = "OPEN GTID"
	TypeUpgradeRO        = "UPGRADE RO"
	TypeBatchRollback    = "BATCH ROLLBACK"
	TypeUpgradeMaster    = "UPGRADE MASTER"
	TypeDropTables       = "DROP TABLES"
	TypeSwitchDRToMaster = "SWITCH DR TO MASTER"
)

var tencentTypes = []TaskType{
	{Key: TypeRollback, TencentCode: 1, Description: "roll back a database"},
	{Key: TypeSQLOperation, TencentCode: 2, Description: "run an SQL operation"},
	{Key: TypeImportData, TencentCode: 3, Description: "import data"},
	{Key: TypeModifyParam, TencentCode: 5, Description: "set a parameter"},
	{Key: TypeInitial, TencentCode: 6, Description: "initialize an instance"},
	{Key: TypeReboot, TencentCode: 7, Description: "restart an instance"},
	{Key: TypeOpenGTID, TencentCode: 8, Description: "enable GTID"},
	{Key: TypeUpgradeRO, TencentCode: 9, Description: "upgrade a read-only instance"},
	{Key: TypeBatchRollback, TencentCode: 10, Description: "roll back databases in batches"},
	{Key: TypeUpgradeMaster, TencentCode: 11, Description: "upgrade a primary instance"},
	{Key: TypeDropTables, TencentCode: 12, Description: "drop databases or tables"},
	{Key: TypeSwitchDRToMaster, TencentCode: 13, Description: "promote a disaster-recovery instance"},
}

var huaweiTypes = [][2]string{
	{"CreateMongoDB", "create a cluster instance"},
	{"CreateMongoDBReplica", "create a replica set instance"},
	{"CreateMongoDBReplicaSingle", "create a single node instance"},
	{"EnlargeMongoDBVolume", "scale up storage"},
	{"ResizeMongoDBInstance", "change the instance class (Community Edition)"},
	{"ResizeDfvMongoDBInstance", "change the instance class (Enhanced Edition)"},
	{"EnlargeMongoDBGroup", "add a node"},
	{"ReplicaSetEnlargeNode", "add a standby node to a replica set"},
	{"AddReadonlyNode", "add a read replica"},
	{"RestartInstance", "restart a cluster instance"},
	{"RestartGroup", "restart a cluster node group"},
	{"RestartNode", "restart a cluster node"},
	{"RestartReplicaSetInstance", "restart a replica set instance"},
	{"RestartReplicaSingleInstance", "restart a single node instance"},
	{"SwitchPrimary", "switch primary and standby"},
	{"ModifyIp", "change the private IP address"},
	{"ModifySecurityGroup", "change the security group"},
	{"ModifyPort", "change the database port"},
	{"BindPublicIP", "bind an EIP"},
	{"UnbindPublicIP", "unbind an EIP"},
	{"SwitchInstanceSSL", "switch SSL"},
	{"AzMigrate", "migrate to another availability zone"},
	{"CreateIp", "enable shard or config IP addresses"},
	{"ModifyOpLogSize", "change the oplog size"},
	{"RestoreMongoDB", "restore a cluster to a new instance"},
	{"RestoreMongoDB_Replica", "restore a replica set to a new instance"},
	{"RestoreMongoDB_Replica_Single", "restore a single node to a new instance"},
	{"RestoreMongoDB_Replica_PITR", "restore a replica set to a point in time"},
	{"MongodbSnapshotBackup", "create a physical backup"},
	{"MongodbSnapshotEBackup", "create a snapshot backup"},
	{"MongodbRestoreData2CurrentInstance", "restore a backup to the current instance"},
	{"MongodbRestoreData2NewInstance", "restore a backup to a new instance"},
	{"MongodbPitr2CurrentInstance", "restore the current instance to a point in time"},
	{"MongodbPitr2NewInstance", "restore a point in time to a new instance"},
	{"MongodbRecycleBackup", "restore a backup from the recycle bin"},
	{"MongodbRestoreTable", "restore databases or tables to a point in time"},
	{"UpgradeDatabaseVersion", "upgrade the database patch"},
}

var builtins = buildBuiltins()

// BuiltinTypes returns the catalog shipped with taskcenter: the twelve Tencent
// CDB types and the 37 Huawei DDS task names, all exclusive, sorted by key.
func BuiltinTypes() []TaskType {
	return append([]TaskType(nil), builtins...)
}

// BuiltinType returns the built-in type with the given key.
func BuiltinType(key string) (TaskType, bool) {
	i := sort.Search(len(builtins), func(i int) bool { return builtins[i].Key >= key })
	if i < len(builtins) && builtins[i].Key == key {
		return builtins[i], true
	}
	return TaskType{}, false
}

func buildBuiltins() []TaskType {
	out := make([]TaskType, 0, len(tencentTypes)+len(huaweiTypes))
	for _, t := range tencentTypes {
		t.Exclusive, t.Builtin = true, true
		out = append(out, t)
	}
	for _, h := range huaweiTypes {
		out = append(out, TaskType{Key: h[0], Description: h[1], Exclusive: true, Builtin: true})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

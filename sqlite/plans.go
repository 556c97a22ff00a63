package sqlite

/*
// SQLite's own functions, linked into the program with the driver's copy of
// SQLite (or the system's, under the driver's libsqlite3 build tag).
typedef struct sqlite3 sqlite3;
extern int sqlite3_auto_extension(void (*)(void));
extern int sqlite3_db_config(sqlite3 *, int, ...);

#define TASKCENTER_DBCONFIG_ENABLE_QPSG 1007 // SQLITE_DBCONFIG_ENABLE_QPSG

static int taskcenter_stable_plans(sqlite3 *db, char **err, const void *api) {
	return sqlite3_db_config(db, TASKCENTER_DBCONFIG_ENABLE_QPSG, 1, (int *)0);
}

static int taskcenter_register_stable_plans(void) {
	return sqlite3_auto_extension((void (*)(void))taskcenter_stable_plans);
}
*/
import "C"

import "fmt"

// stablePlans turns SQLite's query planner stability guarantee on for every
// connection the process opens: a statement's plan no longer depends on the
// values bound to it. Without it, SQLite plans a statement again whenever a
// value it looked at while planning is bound anew: a LIMIT ?, or a value it
// compared with a partial index's condition. The driver binds every value
// anew on each run, so a list of an instance was planned again on every run,
// and cost twice what it does with the guarantee (docs/BENCHMARKS.md). The
// store's statements name in their text whatever selects a partial index.
//
// The setting holds for every SQLite connection of the process. Under the
// driver's libsqlite3 build tag, the system's SQLite must know it (3.22 or
// later): an older one refuses it, and every open fails.
func stablePlans() {
	if rc := C.taskcenter_register_stable_plans(); rc != 0 {
		panic(fmt.Sprintf("sqlite: registering the planner's stability guarantee: result code %d", rc))
	}
}

//go:build !cgo

package sqlite

// The SQLite store runs SQLite's own C through cgo. A build without cgo stops
// here, with the reason in the name below: build with CGO_ENABLED=1 and a C
// compiler.
var _ = sqlite_store_needs_cgo_build_with_CGO_ENABLED_1_and_a_C_compiler

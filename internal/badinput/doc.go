// Package badinput holds no code: its test is the catalogue of bad input
// for every parameter of every way into taskcenter (the three vendor
// dialects and the native API), run against the real handlers over a real
// engine and store (internal/testenv).
package badinput

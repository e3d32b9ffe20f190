// Package decide is the Lambda guard's decision: from a function
// snapshot and the settings it derives findings and the reversible actions
// that answer them. It does no I/O and reads no clock, so every rule is
// table-tested without AWS and the same code serves events and the sweep.
package decide

// Package decide is the Lambda guard's decision: from a function
// snapshot and the settings it derives findings and the reversible actions
// that answer them. It does no I/O and reads no clock, so every rule is
// table-tested without AWS and the same code serves events and the sweep.
//
// Decide judges the state (level): $LATEST, the code signing config, the
// aliases and every published version the snapshot holds. WithEdge and
// WithCSCEdge add what a CloudTrail record says was done (edge), judged as
// a pure function of the record and the state read since.
package decide

// Package report renders what `selfguard audit` found: a table grouped by
// severity for people, JSON for scripts, and the AWS Security Finding Format
// (ASFF) for Security Hub's BatchImportFindings.
//
// A report is built once, after the evaluation, from plain findings and the
// actions enforce mode would take; rendering does no I/O beyond the writer.
package report

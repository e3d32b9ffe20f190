// Package hubsync keeps selfguard's findings in AWS Security Hub in step
// with what selfguard last found: it imports the findings (in batches of
// 100, as BatchImportFindings takes them), keeps each known finding's first
// sighting, and archives (RecordState ARCHIVED, Compliance PASSED) the
// findings selfguard reported before and no longer finds, so that a fixed
// problem leaves the console on its own.
//
// `selfguard audit --import` uses it, and so can the sweep.
package hubsync

// Package act carries out the exposure guard's planned actions (package
// decide) against Lambda. Each is reversible and undone by the command its
// action carries: a statement is removed by its Sid, never a policy
// rewritten; a URL is made to require IAM rather than deleted (a deleted URL
// cannot come back: a new one gets a new address); a mapping is disabled,
// keeping its position in the source, not deleted; the recursive loop
// setting goes back to Lambda's default.
//
// Writes carry the RevisionId the decision saw where Lambda takes one
// (RemovePermission, RemoveLayerVersionPermission): a 412 means the policy
// changed meanwhile and the outcome's error matches ErrConflict, so the
// caller reads and decides again rather than removing on stale grounds.
// The URL actions read the URL first and act only if it still is as the
// decision saw it. Something already gone is not an error: the outcome is
// not-needed.
package act

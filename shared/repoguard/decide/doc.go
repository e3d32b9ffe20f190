// Package decide is the repository guard's decision: pure functions from a
// snapshot.Snapshot and the settings to findings and planned actions, with no
// I/O, so that the event path, the sweep and audits all judge alike.
//
// Rules:
//   - repo.no-automated-review: no reviewer reports the repository as
//     reviewed. Review being set up (CodeGuru's Associating) is not a finding
//     yet. Medium; high when review was set up and then removed, since AWS
//     no longer lets a CodeGuru Reviewer association be re-created.
//   - repo.no-approval-rule: no approval rule template is associated. High.
//   - repo.weak-approval-rule: templates are associated, but together they do
//     not require settings.RequiredApprovals approvals on every protected
//     branch. High.
//
// Actions are planned in both modes, so a monitor-mode alert says what
// enforce would do; only the guard decides whether to take them.
package decide

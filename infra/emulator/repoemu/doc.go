// Package repoemu emulates the parts of CodeCommit and CodeGuru Reviewer that
// selfguard's repository guard reads and writes: repositories, approval rule
// templates and their associations (CodeCommit, JSON 1.1), and repository
// associations (CodeGuru Reviewer, REST-JSON), for unmodified aws-sdk-go-v2
// clients.
//
// Like AWS since 2025-11-07, CodeGuru Reviewer refuses new repository
// associations by default while existing ones keep working; a world file or
// the admin route can lift that to test the path that creates them.
// Association states move on the emulator clock, so tests can watch
// Associating become Associated without sleeping. Every write, and every
// failed write, is recorded in the emulator's CloudTrail with the shapes the
// real records have.
package repoemu

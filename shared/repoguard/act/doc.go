// Package act carries out the repository guardrail's planned actions
// (package decide): associating, creating or restoring the required approval
// rule template, and asking a reviewer to review. Each action runs on the
// state its caller re-read just before, and CodeCommit's content hash keeps a
// restore from overwriting a newer change blindly.
package act

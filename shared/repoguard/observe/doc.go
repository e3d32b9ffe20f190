// Package observe reads one CodeCommit repository as the repository
// guard needs it: its identity and default branch, the approval rule templates
// associated with it (content parsed), the configured required template as it
// exists in the account, and each automated reviewer's status. It only reads;
// a repository that does not exist gives snapshot.ErrNotFound, which callers treat as
// "nothing to do". Read covers only some Parts, for a re-read before one
// action.
package observe

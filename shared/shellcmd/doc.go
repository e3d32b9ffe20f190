// Package shellcmd builds command lines a person can paste into a POSIX
// shell (bash, zsh, sh) and run as they are: every word quoted where the
// shell would otherwise split, expand or glob it ($LATEST, JSON, a name
// with spaces), and AWS CLI commands complete with their --region, so the
// undo an alert gives works from any terminal, whatever its default region.
//
// It has no dependencies: the decision packages, which must stay free of the
// AWS SDK, use it to write their undo commands.
package shellcmd

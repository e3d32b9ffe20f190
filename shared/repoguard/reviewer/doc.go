// Package reviewer makes automated code review pluggable. A Reviewer reports
// whether it reviews a repository's pull requests and can try to start doing
// so; the repository rules consume only the resulting snapshot.ReviewStatus values, so
// another reviewer (Amazon Inspector code security, Amazon Q Developer) can
// later count as "reviewed" without any change to the rules. CodeGuru is the
// Amazon CodeGuru Reviewer implementation, which since 2025-11-07 AWS keeps
// running for existing associations but refuses new ones.
package reviewer

// Package templatecheck holds template.yaml to the code and to AWS's own
// events: its EventBridge patterns route real CloudTrail records to the right
// guard (and failed, read-only and unrelated calls to none), and each
// function's IAM role grants exactly the actions its code declares it calls.
// It has no code of its own beyond what the tests share.
package templatecheck

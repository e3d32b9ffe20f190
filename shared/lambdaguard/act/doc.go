// Package act carries out the Lambda guard's planned actions (package
// decide) against Lambda: moving aliases, restoring code or layers from a
// trusted published version, attaching a code signing config, and containing
// a function with reserved concurrency 0.
//
// Restores fall back to containment: when the trusted code cannot be fetched
// or deployed, or when the function, read again, does not show trusted code
// (with no code signing config attached Lambda records no signature), the
// function is contained instead, and Outcome.Taken says so. Writes carry the
// RevisionId read with the snapshot: a 412 or 409 means someone else changed
// the function meanwhile, and the outcome's error matches ErrConflict so that
// the caller re-reads and re-decides instead of clobbering a newer deploy.
// So does a restore whose verification read finds other code than it wrote
// (a deploy landed in between), and a fallback containment of a function
// whose $LATEST is trusted by then: a trusted release is never contained.
//
// Deleting an untrusted published version (opt-in) cannot be undone: the
// outcome keeps the version's code SHA256 and configuration, environment
// variable values left out.
package act

// Package ledger is selfguard's memory in one DynamoDB table: which events
// have been handled (so a duplicate delivery does nothing), every finding and
// action taken (the audit trail), and the findings still open (so the sweep
// alerts only on what is new or changed).
//
// Schema (single table, string keys pk and sk, TTL attribute expires_at in
// epoch seconds):
//
//	pk                          sk                  attributes
//	EVENT#<claim key>           CLAIM               state (in-progress|done), owner,
//	                                                claimed_at, lease_until, expires_at (+7 days)
//	EVENT#<record key>          OWED                payload (alerts a retry must send), expires_at
//	AUDIT#<type>#<resource>     <RFC3339Nano>#<event id>#<n>
//	                                                entry (JSON of Entry), rule, severity,
//	                                                event_id, expires_at (+400 days)
//	RELEASE#<function>          TRUSTED             version_n, code (the version as judged,
//	                                                JSON), seen_at: the newest trusted release
//	                                                the guard saw, a restore target without a
//	                                                listing (a hint, read back before use)
//	FINDING                     <finding.Key()>     finding (JSON), digest, first_seen,
//	                                                last_seen, closed_at (absent while open),
//	                                                rev (write counter), owed, teller,
//	                                                tell_until (an alert not yet confirmed)
//
// The pipeline's keys are the CloudTrail event id followed by digests of
// the record's content (the record key) and of the subjects judged (the
// claim key), never the id alone: a payload forged with a real event's id
// must not take that event's claim.
//
// A claim is a conditional PutItem that succeeds only if no claim exists or
// the existing one is still in progress with its lease run out: a run that
// crashed mid-way is retried, not lost, and a finished one is never redone.
// Sight records a finding like Upsert and also keeps an alert owed (owed,
// with the teller's lease) until Told confirms it went out, so an alert
// that failed after the sighting is sent by the retry, once.
// Memory is an in-memory ledger with the same behaviour, for the read-only
// paths (selfguard evaluate, audit) and tests.
package ledger

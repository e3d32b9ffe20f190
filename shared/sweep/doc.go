// Package sweep is selfguard's scheduled, level-triggered pass over every
// Lambda function and CodeCommit repository of a region. CloudTrail events
// on EventBridge are best effort, the guards can be down during a deploy,
// and resources older than selfguard never produce an event: the sweep
// judges them all with the same decision code and, in enforce mode, the
// same actions as the event-driven guards.
//
// It spends Lambda's shared control-plane quota (15 requests/s per account
// and region, shared with the customer's deploys) carefully:
//
//   - Lister: ListCodeSigningConfigs and ListFunctionsByCodeSigningConfig
//     (two listings per CSC instead of one GetFunctionCodeSigningConfig per
//     function), then ListFunctions with FunctionVersion=ALL, 50 entries a
//     call, which gives $LATEST and every published version with their
//     signing fields and layers. ListRepositories for CodeCommit.
//   - Worker: ListAliases, once per function. No listing spans functions'
//     aliases, so this call is unavoidable and dominates the sweep's cost:
//     about N/rate seconds for N functions at the configured rate. Actions
//     in enforce mode re-read what they change (the guards' own Act).
//
// So a sweep of N functions with V published versions in all costs about
// 2C + (N+V)/50 + N shared-bucket calls for C code signing configs, and no
// GetFunction unless an action runs.
//
// The exposure rules (Lister.Exposure, Worker.Exposure) add, for A aliases,
// L layers with LV versions and M event source mappings: ListLayers,
// ListLayerVersions and ListEventSourceMappings in the lister (L/50 + L +
// M/100), and per function one ListFunctionUrlConfigs and one
// GetFunctionRecursionConfig (2N), per layer version one
// GetLayerVersionPolicy (LV) in the workers, all on the shared bucket; and
// N + A + V GetPolicy calls on GetPolicy's own 15/s quota. Mappings are
// judged on the listing alone.
//
// In the account the lister (functions/sweep) sends batches of functions,
// with the listing facts the rules need, to an SQS queue; workers
// (functions/sweep-worker) evaluate them. Runs records a run's batch
// count and the set of batches done in the ledger's table; the worker that
// completes the last batch closes the findings not seen again and sends
// the one summary alert. Tracker keeps each finding in the ledger and
// alerts only on what is new, changed or reopened. RunLocal runs the same
// lister and worker in one process, as `selfguard audit` does.
//
// Memory is flat in the number of functions: one listing page and one
// batch at a time, plus a map from function ARN to code signing config for
// the functions that have one.
//
// The listing assumes ListFunctions returns one function's entries
// together, as Lambda does (sorted by name); a function whose entries were
// split would be judged twice, each time on part of its versions.
package sweep

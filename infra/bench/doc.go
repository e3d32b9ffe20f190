// Package bench measures selfguard's performance figures (docs/performance.md):
// cold start against a hello-world bootstrap, a boto3 peer side by side,
// decision cost, API calls per event kind by quota bucket, peak memory and
// artifact sizes, event-to-action latency, and cost. It holds the events the
// benchmarks replay and the arithmetic behind the published figures; the
// driver in infra/bench/perf runs the processes and prints the report.
package bench

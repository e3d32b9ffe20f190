// Package deps assembles what every selfguard function needs from its
// environment at cold start: settings, the logger, the AWS configuration (with
// adaptive retries), the alert publisher and the ledger. Each function's
// main.go adds its own clients and guard and starts the runtime.
package deps

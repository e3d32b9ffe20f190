// Package deps assembles what every selfguard function needs from its
// environment at cold start: settings, the logger, the AWS configuration (with
// adaptive retries), the alert publisher and the ledger. Each function's
// main.go adds its own clients and guard and starts the runtime. The AWS
// configuration is built from Lambda's environment alone (AWSConfig), not
// with config.LoadDefaultConfig, to keep credential sources Lambda never
// uses out of the binary and out of its start-up.
package deps

// Package runtime runs built Lambda functions locally the way Lambda runs
// them: each bootstrap binary under its own AWS Lambda Runtime Interface
// Emulator process, invoked over the RIE's HTTP API. It builds Go main
// packages for provided.al2023, installs the pinned RIE when missing, and
// adapts a set of running functions to the local event bus's Invoker.
package runtime

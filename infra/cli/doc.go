// Package cli implements the selfguard command's subcommands. Each is a
// function from arguments and output streams to an exit code, so tests run
// them in-process exactly as a user would.
package cli

// Command selfguard is selfguard's command line: the local AWS account
// (local), the offline demo (demo), what the guard would do for an event
// (evaluate) and a read-only audit of an account (audit).
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/selfguard/selfguard/infra/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

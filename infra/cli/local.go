package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"

	"github.com/selfguard/selfguard/infra/emulator"
)

func runLocal(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("local", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:4566", "loopback address to serve on")
	worldFile := fs.String("world", "", "world file (JSON) to load; see docs/emulator.md")
	account := fs.String("account", "111122223333", "account id of the local account")
	region := fs.String("region", "eu-west-1", "region of the local account")
	actor := fs.String("as", emulator.ActorAdmin, "actor whose credentials the printed environment uses")
	if code, ok := parseFlags(fs, args, stdout, stderr); !ok {
		return code
	}
	srv := emulator.New(*account, *region)
	if *worldFile != "" {
		f, err := os.Open(*worldFile)
		if err != nil {
			fmt.Fprintf(stderr, "selfguard local: %v\n", err)
			return ExitUsage
		}
		w, err := emulator.DecodeWorld(f)
		f.Close()
		if err == nil {
			err = srv.LoadWorld(w)
		}
		if err != nil {
			fmt.Fprintf(stderr, "selfguard local: %s: %v\n", *worldFile, err)
			return ExitUsage
		}
	}
	a, ok := srv.Identities.ByName(*actor)
	if !ok {
		fmt.Fprintf(stderr, "selfguard local: no actor %q in the local account\n", *actor)
		return ExitUsage
	}
	base, ln, err := srv.Listen(*addr)
	if err != nil {
		fmt.Fprintf(stderr, "selfguard local: %v\n", err)
		return ExitError
	}
	defer ln.Close()
	fmt.Fprintf(stderr, "selfguard local account %s (%s) on %s - Ctrl-C to stop\n", srv.Env.Account, srv.Env.Region, base)
	fmt.Fprintf(stderr, "point an SDK or the aws CLI at it as %s:\n", a.Name)
	env := emulator.SDKEnv(base, srv.Env.Region, a)
	sort.Strings(env)
	for _, kv := range env {
		fmt.Fprintf(stdout, "export %s\n", kv)
	}
	fmt.Fprintf(stderr, "actors: ")
	for i, x := range srv.Identities.All() {
		if i > 0 {
			fmt.Fprint(stderr, ", ")
		}
		fmt.Fprintf(stderr, "%s (%s)", x.Name, x.AccessKeyID)
	}
	fmt.Fprintln(stderr)
	<-ctx.Done()
	return ExitOK
}

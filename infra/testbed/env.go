package testbed

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"github.com/selfguard/selfguard/infra/emulator"
	"github.com/selfguard/selfguard/infra/eventbus"
	"github.com/selfguard/selfguard/infra/runtime"
	"github.com/selfguard/selfguard/shared/settings"
)

// FunctionSpec is how the template's function id runs here, as deployed:
// the bootstrap its SAM target builds, and Environment with the local
// account's endpoints and the function role's credentials. It makes the
// role known to the emulator. Start runs the specs of Options.Functions;
// benchmarks run them in fresh RIEs of their own, as often as they like.
func (b *Bed) FunctionSpec(ctx context.Context, id string) (runtime.Spec, error) {
	cfg, ok := b.Template.Functions[id]
	if !ok {
		return runtime.Spec{}, fmt.Errorf("template.yaml has no function %s", id)
	}
	bootstrap, err := runtime.BuildMake(ctx, b.root, id, filepath.Join(b.buildRoot, id))
	if err != nil {
		return runtime.Spec{}, err
	}
	name := cfg.Name
	if name == "" {
		name = id
	}
	actor := roleActorIn(b.Account, id, name, cfg.Role)
	b.Emulator.Identities.Add(actor)
	b.Roles[id] = cfg.Role
	local := append(emulator.SDKEnv(b.URL, b.Region, actor), b.Moto.Env()...)
	local = append(local, "AWS_SESSION_TOKEN=local-session-"+id)
	if t, ok := cfg.Environment[settings.EnvTopicARN]; ok && len(b.opts.AlertTopics) > 0 {
		local = append(local, settings.EnvTopicARN+"="+strings.Join(append([]string{t}, b.opts.AlertTopics...), ","))
	}
	return runtime.Spec{Name: name, Bootstrap: bootstrap, Env: Environment(cfg, local, b.opts.Env), RIE: b.rie,
		LogWriter: b.opts.LogWriter}, nil
}

// Environment is a function's environment here: its variables as
// template.yaml resolves them (SAM's Globals, then its own, with the
// parameters' defaults where the bed was given none), then local (the
// SDK's endpoints and credentials, the further alert topics of
// Options.AlertTopics, KEY=value), then overrides, which a test
// uses to point a service elsewhere (an outage). Nothing else is added: a
// benchmark or test runs what the template deploys.
func Environment(cfg eventbus.FunctionConfig, local []string, overrides map[string]string) []string {
	env := map[string]string{}
	for k, v := range cfg.Environment {
		env[k] = v
	}
	for _, kv := range local {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	for k, v := range overrides {
		env[k] = v
	}
	vars := make([]string, 0, len(env))
	for k, v := range env {
		vars = append(vars, k+"="+v)
	}
	sort.Strings(vars)
	return vars
}

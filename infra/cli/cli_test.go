package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"mvdan.cc/sh/v3/syntax"
)

func TestHelpGoesToStdoutWithExamplesAndExitCodes(t *testing.T) {
	tests := map[string][]string{
		"top-level --help":        {"--help"},
		"help":                    {"help"},
		"help <command>":          {"help", "audit"},
		"<command> -h":            {"audit", "-h"},
		"<command> --help":        {"evaluate", "--help"},
		"completion's own --help": {"completion", "--help"},
	}
	for name, args := range tests {
		t.Run(name, func(t *testing.T) {
			code, out, errOut := runCLI(t, args...)
			if code != ExitOK || errOut != "" {
				t.Fatalf("exit %d, stderr %q", code, errOut)
			}
			for _, want := range []string{"Examples:", "Exit codes:", "selfguard"} {
				if !strings.Contains(out, want) {
					t.Errorf("help lacks %q:\n%s", want, out)
				}
			}
		})
	}
	_, out, _ := runCLI(t, "help", "audit")
	for _, want := range []string{"-stack", "-config", "-fail-on", "-output", "-quiet", "-import"} {
		if !strings.Contains(out, want) {
			t.Errorf("audit's help lacks %s", want)
		}
	}
	if code, out, errOut := runCLI(t); code != ExitUsage || out != "" || !strings.Contains(errOut, "Usage:") {
		t.Errorf("no command: exit %d, stdout %q", code, out)
	}
	if code, _, errOut := runCLI(t, "audit", "--no-such-flag"); code != ExitUsage || !strings.Contains(errOut, "selfguard help audit") {
		t.Errorf("bad flag: exit %d, stderr %q", code, errOut)
	}
}

func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"--version"}, {"version"}} {
		if code, out, _ := runCLI(t, args...); code != ExitOK || !strings.HasPrefix(out, "selfguard ") || len(out) < len("selfguard x\n") {
			t.Errorf("%v: exit %d, %q", args, code, out)
		}
	}
}

func TestCompletionScriptsParseAndKnowTheFlags(t *testing.T) {
	for _, sh := range []string{"bash", "zsh"} {
		code, out, errOut := runCLI(t, "completion", sh)
		if code != ExitOK {
			t.Fatalf("%s: exit %d %s", sh, code, errOut)
		}
		if _, err := syntax.NewParser(syntax.Variant(syntax.LangBash)).Parse(strings.NewReader(out), sh); err != nil {
			t.Errorf("%s script does not parse: %v\n%s", sh, err, out)
		}
		for _, want := range []string{"audit)", "--stack", "--fail-on) COMPREPLY", "complete -o default -F _selfguard selfguard"} {
			if !strings.Contains(out, want) {
				t.Errorf("%s script lacks %q", sh, want)
			}
		}
	}
	if _, out, _ := runCLI(t, "completion", "fish"); !strings.Contains(out, "__fish_seen_subcommand_from audit' -l stack") {
		t.Errorf("fish script lacks audit's --stack:\n%s", out)
	}
	if code, _, _ := runCLI(t, "completion", "tcsh"); code != ExitUsage {
		t.Errorf("an unknown shell exited %d", code)
	}
}

func TestAuditOutputQuietVerboseAndFailOnNone(t *testing.T) {
	auditEnv(t)
	t.Setenv("SELFGUARD_TRUSTED_PROFILES", "")
	file := filepath.Join(t.TempDir(), "audit.json")
	code, out, errOut := runCLI(t, "audit", "--format", "json", "--output", file, "--fail-on", "none")
	if code != ExitOK || out != "" {
		t.Fatalf("exit %d, stdout %q, stderr %s", code, out, errOut)
	}
	if b, err := os.ReadFile(file); err != nil || !strings.Contains(string(b), `"items"`) {
		t.Errorf("--output file: %v %.100s", err, b)
	}
	if !strings.Contains(errOut, "warning:") {
		t.Errorf("without --quiet the warning is missing: %q", errOut)
	}
	if _, _, errOut := runCLI(t, "audit", "--quiet", "--fail-on", "none"); errOut != "" {
		t.Errorf("--quiet printed %q", errOut)
	}
	if _, _, errOut := runCLI(t, "audit", "--verbose", "--fail-on", "none"); !strings.Contains(errOut, "judging with the settings of environment and flags: 0 trusted signing profiles") {
		t.Errorf("--verbose printed %q", errOut)
	}
	if code, _, _ := runCLI(t, "audit"); code != ExitFindings {
		t.Errorf("the default --fail-on high passed findings: exit %d", code)
	}
	if code, _, _ := runCLI(t, "audit", "--quiet", "--verbose"); code != ExitUsage {
		t.Errorf("--quiet --verbose exited %d", code)
	}
}

func TestCredentialErrorsSayWhatToDo(t *testing.T) {
	auditEnv(t)
	tests := map[string]map[string]string{
		"no credentials at all":       {"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_EC2_METADATA_DISABLED": "true"},
		"a profile that is not there": {"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_PROFILE": "nosuch"},
	}
	for name, env := range tests {
		t.Run(name, func(t *testing.T) {
			for k, v := range env {
				t.Setenv(k, v)
			}
			code, _, errOut := runCLI(t, "audit", "--functions-only")
			if code != ExitError || !strings.Contains(errOut, "aws sso login") || !strings.Contains(errOut, "AWS_PROFILE") {
				t.Errorf("exit %d: %s", code, errOut)
			}
		})
	}
}

func TestAuditWritesHTMLAndCSV(t *testing.T) {
	auditEnv(t)
	for format, want := range map[string]string{"html": "<!DOCTYPE html>", "csv": "account,region,severity,rule"} {
		code, out, errOut := runCLI(t, "audit", "--format", format, "--fail-on", "none")
		if code != ExitOK || !strings.HasPrefix(out, want) {
			t.Errorf("%s: exit %d, %.80q, %s", format, code, out, errOut)
		}
	}
}

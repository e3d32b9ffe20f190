package cli

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"mvdan.cc/sh/v3/shell"
)

// ReadParameters reads template parameter values from a file in one of the
// forms people deploy with:
//   - samconfig.toml (by name): parameter_overrides of [env.deploy.parameters],
//     a string "Key=Value Key2=\"a b\"" or an array of "Key=Value";
//   - JSON: {"Key": "Value"} or CloudFormation's [{"ParameterKey":..., "ParameterValue":...}];
//   - otherwise KEY=VALUE lines, '#' comments; a key may be a parameter name or
//     the SELFGUARD_* variable the template sets from it.
func ReadParameters(path, env string) (map[string]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read parameters: %w", err)
	}
	var params map[string]string
	switch t := bytes.TrimSpace(data); {
	case strings.HasSuffix(filepath.Base(path), ".toml"):
		params, err = samconfigParameters(data, env)
	case len(t) > 0 && (t[0] == '{' || t[0] == '['):
		params, err = jsonParameters(t)
	default:
		params, err = lineParameters(data)
	}
	if err != nil {
		return nil, fmt.Errorf("read parameters from %s: %w", path, err)
	}
	return params, nil
}

func jsonParameters(data []byte) (map[string]string, error) {
	if data[0] == '{' {
		var m map[string]string
		if err := json.Unmarshal(data, &m); err != nil {
			return nil, fmt.Errorf("want {\"Parameter\": \"value\"}: %w", err)
		}
		return m, nil
	}
	var list []struct{ ParameterKey, ParameterValue string }
	if err := json.Unmarshal(data, &list); err != nil {
		return nil, fmt.Errorf("want [{\"ParameterKey\": ..., \"ParameterValue\": ...}]: %w", err)
	}
	m := map[string]string{}
	for _, p := range list {
		m[p.ParameterKey] = p.ParameterValue
	}
	return m, nil
}

func lineParameters(data []byte) (map[string]string, error) {
	byEnv := map[string]string{}
	for p, e := range ParameterEnv {
		byEnv[e] = p
	}
	m := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(sc.Text()), "export "))
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fmt.Errorf("line %d: want KEY=VALUE", n)
		}
		k = strings.TrimSpace(k)
		if p, ok := byEnv[k]; ok {
			k = p
		}
		m[k] = strings.Trim(strings.TrimSpace(v), `"'`)
	}
	return m, sc.Err()
}

// samconfigParameters reads parameter_overrides from the deploy table of
// one samconfig.toml environment. It reads only that key: a one-line TOML
// string or array of strings, as `sam deploy --guided` writes it.
func samconfigParameters(data []byte, env string) (map[string]string, error) {
	table := "[" + env + ".deploy.parameters]"
	in := false
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "[") {
			in = line == table
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !in || !ok || strings.TrimSpace(k) != "parameter_overrides" {
			continue
		}
		return overrides(strings.TrimSpace(v))
	}
	return nil, fmt.Errorf("no parameter_overrides in %s", table)
}

func overrides(v string) (map[string]string, error) {
	var words []string
	switch {
	case strings.HasPrefix(v, "["):
		if err := json.Unmarshal([]byte(v), &words); err != nil {
			return nil, fmt.Errorf("parameter_overrides: want a one-line array of strings: %w", err)
		}
	case strings.HasPrefix(v, `"`):
		var s string
		if err := json.Unmarshal([]byte(v), &s); err != nil {
			return nil, fmt.Errorf("parameter_overrides: %w", err)
		}
		// SAM splits the string as a shell would: Key="a b" is one word.
		fields, err := shell.Fields(s, func(string) string { return "" })
		if err != nil {
			return nil, fmt.Errorf("parameter_overrides: %w", err)
		}
		words = fields
	case strings.HasPrefix(v, `'`):
		return overrides(`"` + strings.ReplaceAll(strings.Trim(v, `'`), `"`, `\"`) + `"`)
	default:
		return nil, errors.New("parameter_overrides: want a string or an array of strings")
	}
	m := map[string]string{}
	for _, w := range words {
		k, val, ok := strings.Cut(w, "=")
		if !ok {
			return nil, fmt.Errorf("parameter_overrides: %q is not Key=Value", w)
		}
		m[k] = val
	}
	return m, nil
}

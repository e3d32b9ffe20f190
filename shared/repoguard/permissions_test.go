package repoguard

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/selfguard/selfguard/shared/finding"
	"github.com/selfguard/selfguard/shared/repoguard/act"
	"github.com/selfguard/selfguard/shared/repoguard/reviewer"
	"github.com/selfguard/selfguard/shared/rules"
)

// TestTheRegistryGrantsEveryCallTheGuardCanMake holds the registry to the
// code: every method of the clients the guard is given is an IAM action the
// repository rules declare, so a new call without a registry entry fails here
// before it fails with AccessDenied in AWS.
func TestTheRegistryGrantsEveryCallTheGuardCanMake(t *testing.T) {
	granted := rules.Permissions(rules.Repositories)
	for prefix, api := range map[string]reflect.Type{
		"codecommit":        reflect.TypeFor[CodeCommitAPI](),
		"codeguru-reviewer": reflect.TypeFor[reviewer.CodeGuruAPI](),
	} {
		for i := range api.NumMethod() {
			want := prefix + ":" + api.Method(i).Name
			if !slices.Contains(granted, want) {
				t.Errorf("the guard can call %s but no repository rule declares it", want)
			}
		}
	}
}

func TestEveryActionKindDeclaresTheWritesItMakes(t *testing.T) {
	for i := range reflect.TypeFor[act.CodeCommitAPI]().NumMethod() {
		m := "codecommit:" + reflect.TypeFor[act.CodeCommitAPI]().Method(i).Name
		found := false
		for _, k := range []finding.ActionKind{rules.ActionAssociateTemplate, rules.ActionRestoreTemplate} {
			if slices.Contains(rules.ActionPermissions(k), m) {
				found = true
			}
		}
		if !found {
			t.Errorf("act writes with %s but no template action declares it", m)
		}
	}
	if slices.ContainsFunc(rules.ActionPermissions(rules.ActionRestoreTemplate), func(p string) bool {
		return strings.HasSuffix(p, ":CreateApprovalRuleTemplate")
	}) {
		t.Error("restoring a template must not need to create one")
	}
}

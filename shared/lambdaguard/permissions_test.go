package lambdaguard

import (
	"reflect"
	"slices"
	"testing"

	"github.com/selfguard/selfguard/shared/lambdaguard/act"
	"github.com/selfguard/selfguard/shared/rules"
)

// TestTheRegistryGrantsEveryCallTheGuardCanMake holds the registry to the
// code: every method of the Lambda client the guard is given is an IAM
// action its rules declare.
func TestTheRegistryGrantsEveryCallTheGuardCanMake(t *testing.T) {
	granted := Permissions()
	api := reflect.TypeFor[API]()
	for i := range api.NumMethod() {
		want := "lambda:" + api.Method(i).Name
		if !slices.Contains(granted, want) {
			t.Errorf("the guard can call %s but no Lambda rule declares it", want)
		}
	}
}

// TestEveryWriteBelongsToADeclaredAction: the writes act makes are each
// declared by an action kind, so a rule's IAM is its check plus its actions.
func TestEveryWriteBelongsToADeclaredAction(t *testing.T) {
	var declared []string
	for _, a := range rules.Actions() {
		declared = append(declared, a.Permissions...)
	}
	api := reflect.TypeFor[act.API]()
	for i := range api.NumMethod() {
		m := "lambda:" + api.Method(i).Name
		if !slices.Contains(declared, m) {
			t.Errorf("act calls %s but no action or rule declares it", m)
		}
	}
}

package exposureguard

import (
	"reflect"
	"slices"
	"testing"

	"github.com/selfguard/selfguard/shared/exposureguard/act"
	"github.com/selfguard/selfguard/shared/rules"
)

// TestTheRegistryGrantsEveryCallTheGuardCanMake holds the registry to the
// code: every method of the Lambda client the guard is given is an IAM
// action its rules declare.
func TestTheRegistryGrantsEveryCallTheGuardCanMake(t *testing.T) {
	granted := Permissions()
	api := reflect.TypeFor[API]()
	for i := range api.NumMethod() {
		if want := "lambda:" + api.Method(i).Name; !slices.Contains(granted, want) {
			t.Errorf("the guard can call %s but no exposure rule declares it", want)
		}
	}
}

// TestEveryWriteBelongsToADeclaredAction: act's writes are each declared by
// an exposure action kind.
func TestEveryWriteBelongsToADeclaredAction(t *testing.T) {
	var declared []string
	for _, a := range rules.Actions() {
		declared = append(declared, a.Permissions...)
	}
	api := reflect.TypeFor[act.API]()
	for i := range api.NumMethod() {
		if m := "lambda:" + api.Method(i).Name; !slices.Contains(declared, m) {
			t.Errorf("act calls %s but no action declares it", m)
		}
	}
}

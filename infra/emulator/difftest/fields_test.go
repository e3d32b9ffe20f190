package difftest

import (
	"reflect"
	"slices"
	"strings"
	"testing"
)

// fieldSet returns the dotted paths of the populated fields of an SDK output
// struct: non-nil pointers, slices and maps (an empty JSON list or object
// decodes to a non-nil empty one), non-zero scalars and enums. Elements of
// lists and maps are merged under "[]" and "{}". ResultMetadata and
// unexported fields are skipped; values are not compared.
func fieldSet(v any) []string {
	set := map[string]bool{}
	walkFields(reflect.ValueOf(v), "", set)
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func walkFields(v reflect.Value, path string, set map[string]bool) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return
		}
		if path != "" {
			set[path] = true
		}
		walkFields(v.Elem(), path, set)
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() || f.Name == "ResultMetadata" {
				continue
			}
			walkFields(v.Field(i), join(path, f.Name), set)
		}
	case reflect.Slice:
		if v.IsNil() {
			return
		}
		set[path] = true
		if !composite(v.Type().Elem()) {
			return
		}
		for i := range v.Len() {
			walkFields(v.Index(i), path+"[]", set)
		}
	case reflect.Map:
		if v.IsNil() {
			return
		}
		set[path] = true
		if !composite(v.Type().Elem()) {
			return
		}
		it := v.MapRange()
		for it.Next() {
			walkFields(it.Value(), path+"{}", set)
		}
	default:
		if path != "" && !v.IsZero() {
			set[path] = true
		}
	}
}

// composite reports whether elements of type t have fields of their own;
// elements of scalar lists and maps are data, not shape.
func composite(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Struct, reflect.Pointer, reflect.Interface, reflect.Slice, reflect.Map:
		return true
	}
	return false
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// allowance says why a field may be set on one side only. A path matches
// the field itself and everything below it.
type allowance struct {
	// awsOnly fields may be set in the reference but not by the emulator.
	awsOnly map[string]string
	// emulatorOnly fields may be set by the emulator but not in the
	// reference (typically fields AWS added after an old recording).
	emulatorOnly map[string]string
}

func covered(allowed map[string]string, path string) bool {
	for p := range allowed {
		if path == p || strings.HasPrefix(path, p+".") || strings.HasPrefix(path, p+"[]") || strings.HasPrefix(path, p+"{}") {
			return true
		}
	}
	return false
}

// fieldDiff returns the fields set on one side only that the allowance
// does not excuse.
func fieldDiff(ref, emu []string, allow allowance) (onlyRef, onlyEmu []string) {
	for _, p := range ref {
		if !slices.Contains(emu, p) && !covered(allow.awsOnly, p) {
			onlyRef = append(onlyRef, p)
		}
	}
	for _, p := range emu {
		if !slices.Contains(ref, p) && !covered(allow.emulatorOnly, p) {
			onlyEmu = append(onlyEmu, p)
		}
	}
	return onlyRef, onlyEmu
}

// sameFields fails the test when the two outputs differ in populated fields
// beyond the allowance.
func sameFields(t *testing.T, what string, ref, emu any, allow allowance) {
	t.Helper()
	if reflect.TypeOf(ref) != reflect.TypeOf(emu) {
		t.Fatalf("%s: comparing %T with %T", what, ref, emu)
	}
	r, e := fieldSet(ref), fieldSet(emu)
	onlyRef, onlyEmu := fieldDiff(r, e, allow)
	if len(onlyRef) > 0 {
		t.Errorf("%s: set in the reference, missing from the emulator: %v", what, onlyRef)
	}
	if len(onlyEmu) > 0 {
		t.Errorf("%s: set by the emulator, absent from the reference: %v", what, onlyEmu)
	}
	if len(r) == 0 && len(e) == 0 {
		return
	}
	if len(onlyRef)+len(onlyEmu) > 0 {
		t.Logf("%s reference fields: %v", what, r)
		t.Logf("%s emulator fields:  %v", what, e)
	}
}

func TestFieldSetSeesPresenceNotValues(t *testing.T) {
	type inner struct{ A *string }
	type out struct {
		Name           *string
		Empty          *string
		Size           int64
		Kind           string
		List           []inner
		Env            map[string]string
		Nothing        []string
		ResultMetadata struct{ X *string }
		hidden         *string
	}
	s, e := "x", ""
	got := fieldSet(&out{Name: &s, Empty: &e, List: []inner{{}, {A: &s}}, Env: map[string]string{}, ResultMetadata: struct{ X *string }{&s}, hidden: &s})
	want := []string{"Empty", "Env", "List", "List[].A", "Name"}
	if !slices.Equal(got, want) {
		t.Fatalf("fieldSet = %v, want %v", got, want)
	}
	onlyRef, onlyEmu := fieldDiff([]string{"A", "B", "B.C", "D"}, []string{"A", "E"},
		allowance{awsOnly: map[string]string{"B": "why"}, emulatorOnly: map[string]string{}})
	if !slices.Equal(onlyRef, []string{"D"}) || !slices.Equal(onlyEmu, []string{"E"}) {
		t.Fatalf("fieldDiff = %v, %v", onlyRef, onlyEmu)
	}
}

package snapshot

import (
	"encoding/json"
	"testing"
)

// FuzzParsePolicy: any text either parses or errs, never panics, and every
// statement parsed keeps its text as valid JSON.
func FuzzParsePolicy(f *testing.F) {
	f.Add(`{"Version":"2012-10-17","Statement":[` + stratusStatement + `]}`)
	f.Add(`{"Statement":{"Effect":"Allow","NotPrincipal":{"AWS":["1","2"]},"Action":"*","Condition":{"Bool":{"k":true}}}}`)
	f.Add(`{"Statement":[{"Principal":{"Service":null},"Condition":{"x":{"y":[1,"a",false]}}}]}`)
	f.Add(`{"Statement":[{"Action":[{"a":1}]}]}`)
	f.Fuzz(func(t *testing.T, doc string) {
		sts, err := ParsePolicy(doc)
		if err != nil {
			return
		}
		for _, s := range sts {
			if !json.Valid([]byte(s.Raw)) {
				t.Fatalf("statement text %q is not JSON", s.Raw)
			}
		}
	})
}

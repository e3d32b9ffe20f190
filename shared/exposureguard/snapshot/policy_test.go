package snapshot

import (
	"reflect"
	"testing"
)

// stratusStatement is the statement of the real stratus-red-team
// AddPermission record (shared/testdata/cloudtrail), as GetPolicy shows it.
const stratusStatement = `{"Sid":"backdoor","Effect":"Allow","Principal":"*","Action":"lambda:InvokeFunction","Resource":"arn:aws:lambda:ca-centralnorth-1r:880896431042:function:stratus-red-team-backdoor-f-func"}`

func TestParsePolicyKeepsEachStatementVerbatim(t *testing.T) {
	doc := `{"Version":"2012-10-17","Id":"default","Statement":[` + stratusStatement + `,` +
		`{"Sid":"s3","Effect":"Allow","Principal":{"Service":"s3.amazonaws.com"},"Action":"lambda:InvokeFunction","Resource":"arn:aws:lambda:eu-west-1:111122223333:function:pay",` +
		`"Condition":{"StringEquals":{"AWS:SourceAccount":"111122223333"},"ArnLike":{"AWS:SourceArn":"arn:aws:s3:::invoices"}}}]}`
	sts, err := ParsePolicy(doc)
	if err != nil {
		t.Fatal(err)
	}
	if len(sts) != 2 {
		t.Fatalf("%d statements, want 2", len(sts))
	}
	if sts[0].Raw != stratusStatement {
		t.Errorf("raw statement = %s\nwant %s", sts[0].Raw, stratusStatement)
	}
	want0 := Statement{Sid: "backdoor", Effect: "Allow", Principals: []Principal{{Type: Anyone, Value: "*"}},
		Actions: []string{"lambda:InvokeFunction"}, Resources: []string{"arn:aws:lambda:ca-centralnorth-1r:880896431042:function:stratus-red-team-backdoor-f-func"},
		Raw: stratusStatement}
	if !reflect.DeepEqual(sts[0], want0) {
		t.Errorf("statement 0 = %+v\nwant %+v", sts[0], want0)
	}
	wantCond := []Condition{
		{Operator: "ArnLike", Key: "AWS:SourceArn", Values: []string{"arn:aws:s3:::invoices"}},
		{Operator: "StringEquals", Key: "AWS:SourceAccount", Values: []string{"111122223333"}},
	}
	if !reflect.DeepEqual(sts[1].Conditions, wantCond) || sts[1].Principals[0] != (Principal{Type: PrincipalSvc, Value: "s3.amazonaws.com"}) {
		t.Errorf("statement 1 = %+v", sts[1])
	}
}

func TestParsePolicyReadsEveryShapeIAMAllows(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want Statement
	}{
		{"a single statement, not a list",
			`{"Statement":{"Sid":"a","Effect":"Allow","Principal":{"AWS":"*"},"Action":["lambda:InvokeFunction","lambda:GetFunction"]}}`,
			Statement{Sid: "a", Effect: "Allow", Principals: []Principal{{Type: Anyone, Value: "*"}}, Actions: []string{"lambda:InvokeFunction", "lambda:GetFunction"}}},
		{"principals of several types and lists",
			`{"Statement":[{"Effect":"Allow","Principal":{"Service":["events.amazonaws.com"],"AWS":["arn:aws:iam::444455556666:root","777788889999"]},"Action":"lambda:*"}]}`,
			Statement{Effect: "Allow", Principals: []Principal{{Type: PrincipalAWS, Value: "arn:aws:iam::444455556666:root"}, {Type: PrincipalAWS, Value: "777788889999"},
				{Type: PrincipalSvc, Value: "events.amazonaws.com"}}, Actions: []string{"lambda:*"}}},
		{"NotPrincipal and NotAction",
			`{"Statement":[{"Effect":"Allow","NotPrincipal":{"AWS":"arn:aws:iam::111122223333:root"},"NotAction":"lambda:DeleteFunction"}]}`,
			Statement{Effect: "Allow", NotPrincipal: true, Principals: []Principal{{Type: PrincipalAWS, Value: "arn:aws:iam::111122223333:root"}},
				NotAction: true, Actions: []string{"lambda:DeleteFunction"}}},
		{"boolean and numeric condition values",
			`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"lambda:InvokeFunction","Condition":{"Bool":{"lambda:InvokedViaFunctionUrl":true},"NumericLessThan":{"aws:MultiFactorAuthAge":[3600]}}}]}`,
			Statement{Effect: "Allow", Principals: []Principal{{Type: Anyone, Value: "*"}}, Actions: []string{"lambda:InvokeFunction"},
				Conditions: []Condition{{Operator: "Bool", Key: "lambda:InvokedViaFunctionUrl", Values: []string{"true"}},
					{Operator: "NumericLessThan", Key: "aws:MultiFactorAuthAge", Values: []string{"3600"}}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sts, err := ParsePolicy(tt.doc)
			if err != nil {
				t.Fatal(err)
			}
			if len(sts) != 1 {
				t.Fatalf("%d statements, want 1", len(sts))
			}
			got := sts[0]
			got.Raw = ""
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestParsePolicyRejectsWhatIsNoPolicy(t *testing.T) {
	for _, doc := range []string{``, `{`, `{"Statement":"x"}`, `{"Statement":[{"Principal":{"AWS":{"x":1}}}]}`, `{"Statement":[{"Action":{"a":1}}]}`} {
		if _, err := ParsePolicy(doc); err == nil {
			t.Errorf("ParsePolicy(%q) gave no error", doc)
		}
	}
	sts, err := ParsePolicy(`{"Version":"2012-10-17","Statement":[]}`)
	if err != nil || len(sts) != 0 {
		t.Errorf("an empty policy: %v, %v", sts, err)
	}
}

func TestReferences(t *testing.T) {
	if n, v := SplitLayer("arn:aws:lambda:eu-west-1:111122223333:layer:shared:3"); n != "shared" || v != "3" {
		t.Errorf("SplitLayer = %q, %q", n, v)
	}
	if got := (LayerVersion{Name: "shared", Version: 12}).Ref(); got != "shared:12" {
		t.Errorf("Ref = %q", got)
	}
	m := Mapping{State: "Disabled"}
	if m.Delivering() || !(Mapping{State: "Enabled"}).Delivering() || !(Mapping{State: "Creating"}).Delivering() {
		t.Error("Delivering")
	}
}

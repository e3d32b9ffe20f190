package lambdaarn

import "testing"

func TestSplitFunctionReadsEveryFormOfReference(t *testing.T) {
	const fn = "arn:aws:lambda:eu-west-1:111122223333:function:pay"
	tests := []struct{ in, name, q string }{
		{"pay", "pay", ""},
		{"pay:prod", "pay", "prod"},
		{"111122223333:function:pay", "pay", ""},
		{fn, "pay", ""},
		{fn + ":7", "pay", "7"},
		{fn + ":$LATEST", "pay", "$LATEST"},
	}
	for _, tt := range tests {
		if n, q := SplitFunction(tt.in); n != tt.name || q != tt.q {
			t.Errorf("SplitFunction(%q) = %q, %q; want %q, %q", tt.in, n, q, tt.name, tt.q)
		}
	}
}

func TestAccountIsTheARNsAccountField(t *testing.T) {
	tests := map[string]string{
		"arn:aws:sqs:eu-west-1:444455556666:q":            "444455556666",
		"arn:aws:lambda:eu-west-1:111122223333:layer:x:3": "111122223333",
		"arn:aws:s3:::bucket":                             "",
		"payments-api":                                    "",
	}
	for in, want := range tests {
		if got := Account(in); got != want {
			t.Errorf("Account(%q) = %q, want %q", in, got, want)
		}
	}
}

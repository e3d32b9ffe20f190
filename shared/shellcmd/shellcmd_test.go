package shellcmd

import (
	"reflect"
	"testing"

	"github.com/selfguard/selfguard/shared/shellcmd/shelltest"
)

func TestQuotedWordsReachTheCommandUnchanged(t *testing.T) {
	words := []string{"$LATEST", "plain-name", "", "it's", `{"AdditionalVersionWeights":{"7":0.25}}`, "a b", "*", "~home", "#x", "x;rm -rf /", "`id`", "$(id)", "line\nbreak", "naïve"}
	got := shelltest.Words(t, Join(words...))
	if len(got) != 1 || !reflect.DeepEqual(got[0], words) {
		t.Errorf("the shell would run %q, want %q", got, words)
	}
}

func TestQuoteLeavesPlainWordsReadable(t *testing.T) {
	for _, w := range []string{"pay-api", "arn:aws:lambda:eu-west-1:111122223333:function:pay", "fileb://package.zip", "a=b,c@d%e+f"} {
		if Quote(w) != w {
			t.Errorf("Quote(%q) = %q, want it unquoted", w, Quote(w))
		}
	}
	if Quote("$LATEST") != `'$LATEST'` {
		t.Errorf("Quote($LATEST) = %s", Quote("$LATEST"))
	}
}

func TestAWSNamesTheRegion(t *testing.T) {
	tests := []struct {
		name, region string
		want         []string
	}{
		{"with a region", "eu-west-1", []string{"aws", "lambda", "update-alias", "--function-version", "$LATEST", "--region", "eu-west-1"}},
		{"without one", "", []string{"aws", "lambda", "update-alias", "--function-version", "$LATEST"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := shelltest.Words(t, AWS(tt.region, "lambda", "update-alias", "--function-version", "$LATEST"))
			if len(got) != 1 || !reflect.DeepEqual(got[0], tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestRegionOf(t *testing.T) {
	tests := map[string]string{
		"arn:aws:lambda:eu-west-1:111122223333:function:pay":   "eu-west-1",
		"arn:aws:codecommit:us-east-1:111122223333:repo":       "us-east-1",
		"arn:aws:iam::111122223333:role/x":                     "",
		"pay":                                                  "",
		"arn:aws-cn:lambda:cn-north-1:111122223333:function:f": "cn-north-1",
	}
	for arn, want := range tests {
		if got := RegionOf(arn); got != want {
			t.Errorf("RegionOf(%q) = %q, want %q", arn, got, want)
		}
	}
}

package settings

import (
	"regexp"
	"testing"
)

// TestNameChecksAgreeWithTheDocumentedPatterns: the written-out checks
// accept exactly what the patterns they replace accept.
func TestNameChecksAgreeWithTheDocumentedPatterns(t *testing.T) {
	checks := []struct {
		name    string
		check   func(string) bool
		pattern string
	}{
		{"account id", isAccountID, `^\d{12}$`},
		{"organization id", isOrganizationID, `^o-[a-z0-9]{10,32}$`},
		{"function name", isFunctionName, `^[A-Za-z0-9_-]{1,64}$`},
	}
	inputs := []string{"", "111122223333", "11112222333", "1111222233334", "11112222333a", "o-abcdefghij", "o-abcdefghi",
		"o-" + "a1b2c3d4e5f6a7b8c9d0a1b2c3d4e5f6", "o-" + "a1b2c3d4e5f6a7b8c9d0a1b2c3d4e5f6a", "o-ABCDEFGHIJ", "x-abcdefghij",
		"selfguard-lambda-guard", "sandbox_play-1", "has space", "arn:aws:lambda:eu-west-1:1:function:x", "é",
		string(make([]byte, 64)), "a234567890123456789012345678901234567890123456789012345678901234",
		"a2345678901234567890123456789012345678901234567890123456789012345"}
	for _, c := range checks {
		re := regexp.MustCompile(c.pattern)
		for _, in := range inputs {
			if got, want := c.check(in), re.MatchString(in); got != want {
				t.Errorf("%s %q: %v, the pattern says %v", c.name, in, got, want)
			}
		}
	}
}

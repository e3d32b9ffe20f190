package settings

// The checks below are written out rather than as regular expressions:
// bounded repetitions ({1,64}) compile into large programs, and a package
// variable compiles at every cold start before the first event.

// isAccountID reports a 12-digit AWS account id.
func isAccountID(s string) bool { return len(s) == 12 && allOf(s, isDigit) }

// isOrganizationID reports an organization id: o- and 10 to 32 lower-case
// letters or digits.
func isOrganizationID(s string) bool {
	rest, ok := cutPrefix(s, "o-")
	return ok && len(rest) >= 10 && len(rest) <= 32 &&
		allOf(rest, func(c byte) bool { return isDigit(c) || c >= 'a' && c <= 'z' })
}

// isFunctionName reports what Lambda allows in a function's name (not an
// ARN): 1 to 64 letters, digits, hyphens and underscores.
func isFunctionName(s string) bool {
	return len(s) >= 1 && len(s) <= 64 && allOf(s, func(c byte) bool {
		return isDigit(c) || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-' || c == '_'
	})
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func allOf(s string, ok func(byte) bool) bool {
	for i := 0; i < len(s); i++ {
		if !ok(s[i]) {
			return false
		}
	}
	return true
}

func cutPrefix(s, prefix string) (string, bool) {
	if len(s) < len(prefix) || s[:len(prefix)] != prefix {
		return s, false
	}
	return s[len(prefix):], true
}

package shellcmd

import "strings"

// safe reports whether every byte of s is one a POSIX shell takes
// literally inside a word, wherever it stands.
func safe(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("_-./:,@%+=", c) >= 0:
		default:
			return false
		}
	}
	return s != ""
}

// Quote returns s as one shell word: as it is when the shell would take it
// literally, else in single quotes (inside which nothing is special), each
// single quote written as '\”.
func Quote(s string) string {
	if safe(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// Join returns the words as one command line, each quoted.
func Join(words ...string) string {
	q := make([]string, len(words))
	for i, w := range words {
		q[i] = Quote(w)
	}
	return strings.Join(q, " ")
}

// AWS returns an AWS CLI command: aws SERVICE OPERATION ARGS..., with
// --region REGION at the end when the region is known, so the command acts
// where the resource is and not in the shell's default region.
func AWS(region, service, operation string, args ...string) string {
	words := append([]string{"aws", service, operation}, args...)
	if region != "" {
		words = append(words, "--region", region)
	}
	return Join(words...)
}

// RegionOf returns the region field of an ARN
// (arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE), or "" when it has none.
func RegionOf(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 || parts[0] != "arn" {
		return ""
	}
	return parts[3]
}

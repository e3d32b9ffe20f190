package alert

import (
	"regexp"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// urlQuery matches a URL with a query string or fragment; presigned URLs
// carry their credentials there.
var urlQuery = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?i)([a-z][a-z0-9+.-]*://[^\s?#]*)[?#]\S*`) })

// Ellipsis marks a value Clean shortened.
const Ellipsis = "..."

// Clean makes an untrusted string safe to place on one line of an alert:
// line breaks and tabs become spaces, other control and invisible format
// characters (ANSI escapes' ESC, bidirectional overrides) are dropped,
// invalid UTF-8 is dropped, runs of spaces collapse, URL query strings are
// removed, and the result is at most max bytes (ending in "..." when cut).
func Clean(s string, max int) string {
	if max <= 0 {
		return ""
	}
	// Bound the work on huge inputs before anything else; what is cut
	// here would be cut below anyway.
	if len(s) > 4*max+64 {
		s = s[:4*max+64]
	}
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == utf8.RuneError && size <= 1:
			continue
		case r == '\n' || r == '\r' || r == '\t' || r == '\v' || r == '\f' ||
			r == 0x85 || r == 0x2028 || r == 0x2029 || unicode.IsSpace(r):
			if !space && b.Len() > 0 {
				b.WriteByte(' ')
				space = true
			}
			continue
		case unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || !unicode.IsPrint(r):
			continue
		}
		b.WriteRune(r)
		space = false
	}
	out := strings.TrimRight(b.String(), " ")
	out = urlQuery().ReplaceAllString(out, "$1?[query removed]")
	return truncate(out, max)
}

// ASCII is Clean followed by replacing every non-ASCII character with '?',
// for places that accept only printable ASCII (SNS subjects).
func ASCII(s string, max int) string {
	s = Clean(s, 4*max+16)
	var b strings.Builder
	for _, r := range s {
		if r < 0x20 || r > 0x7e {
			r = '?'
		}
		b.WriteRune(r)
	}
	return truncate(b.String(), max)
}

// truncate cuts s to at most max bytes on a rune boundary, marking the cut.
func truncate(s string, max int) string {
	if len(s) <= max {
		return s
	}
	if max <= len(Ellipsis) {
		return Ellipsis[:max]
	}
	cut := max - len(Ellipsis)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strings.TrimRight(s[:cut], " ") + Ellipsis
}

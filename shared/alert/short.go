package alert

import (
	"regexp"
	"strings"
	"sync"
)

// arnRE finds ARNs in free text; compiled on first use, not at every cold
// start.
var arnRE = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:[0-9]*:[^\s,;()]+`)
})

// ShortARN names what an ARN points at the way a person says it: a
// function's or repository's name, a layer's name:version, a signing
// profile's name, a code signing config's id. Anything else keeps its
// resource part.
func ShortARN(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 {
		return arn
	}
	res := parts[5]
	switch {
	case strings.HasPrefix(res, "/signing-profiles/"):
		name, _, _ := strings.Cut(strings.TrimPrefix(res, "/signing-profiles/"), "/")
		return name
	case strings.HasPrefix(res, "function:"):
		return strings.TrimPrefix(res, "function:")
	case strings.HasPrefix(res, "layer:"):
		return strings.TrimPrefix(res, "layer:")
	case strings.HasPrefix(res, "code-signing-config:"):
		return strings.TrimPrefix(res, "code-signing-config:")
	}
	return res
}

// shortARNs writes every ARN in s by its short name, so that a subject line
// keeps its meaning within 100 characters.
func shortARNs(s string) string {
	return arnRE().ReplaceAllStringFunc(s, ShortARN)
}

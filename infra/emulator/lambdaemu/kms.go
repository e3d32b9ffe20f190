package lambdaemu

import "github.com/selfguard/selfguard/infra/emulator/awsproto"

// KMSKeyWorld is a customer managed key that may encrypt functions'
// environments. Lambda shows a function's environment variables only to a
// caller that may decrypt with its key (kms:Decrypt, through Lambda);
// others get Environment.Error and no variables. Decrypters names who may:
// actor names, or the role ARNs actors' sessions are issued by.
type KMSKeyWorld struct {
	ARN        string   `json:"arn"`
	Decrypters []string `json:"decrypters,omitempty"`
}

// environmentError is EnvironmentResponse.Error.
type environmentError struct {
	ErrorCode string
	Message   string
}

// kmsDenied is what Lambda answers in place of variables it may not show
// the caller (believed from AWS's documentation of customer managed keys
// for environment variables and its KMSAccessDeniedException text; see
// docs/emulator-fidelity.md).
var kmsDenied = &environmentError{ErrorCode: "AccessDeniedException",
	Message: "Lambda was unable to decrypt the environment variables because KMS access was denied. Please check the function's KMS key settings."}

func kmsKeysOf(ws []KMSKeyWorld) map[string][]string {
	out := make(map[string][]string, len(ws))
	for _, w := range ws {
		out[w.ARN] = append([]string(nil), w.Decrypters...)
	}
	return out
}

// mayDecrypt reports whether actor may read variables encrypted with key;
// Lambda's own key ("") any caller may. A key the world does not declare
// no one may.
func (s *Service) mayDecrypt(actor awsproto.Actor, key string) bool {
	if key == "" {
		return true
	}
	issuer := ""
	if sc := actor.Identity.SessionContext; sc != nil {
		issuer = sc.SessionIssuer.ARN
	}
	for _, d := range s.kmsKeys[key] {
		if d == actor.Name || d != "" && d == issuer {
			return true
		}
	}
	return false
}

// environmentFor hides, from a caller that may not decrypt, the variables
// of every configuration in a response.
func (s *Service) environmentFor(actor awsproto.Actor, resp any) any {
	hide := func(c functionConfiguration) functionConfiguration {
		if c.KMSKeyArn == "" || c.Environment == nil || s.mayDecrypt(actor, c.KMSKeyArn) {
			return c
		}
		c.Environment = &environment{Error: kmsDenied}
		return c
	}
	hideAll := func(cs []functionConfiguration) []functionConfiguration {
		out := make([]functionConfiguration, len(cs))
		for i, c := range cs {
			out[i] = hide(c)
		}
		return out
	}
	switch r := resp.(type) {
	case functionConfiguration:
		return hide(r)
	case map[string]any:
		out := make(map[string]any, len(r))
		for k, v := range r {
			switch c := v.(type) {
			case functionConfiguration:
				v = hide(c)
			case []functionConfiguration:
				v = hideAll(c)
			}
			out[k] = v
		}
		return out
	}
	return resp
}

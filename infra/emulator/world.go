package emulator

import (
	"encoding/json"
	"fmt"
	"io"
	"regexp"

	"github.com/selfguard/selfguard/infra/emulator/awsproto"
	"github.com/selfguard/selfguard/infra/emulator/lambdaemu"
	"github.com/selfguard/selfguard/infra/emulator/repoemu"
	"github.com/selfguard/selfguard/infra/emulator/signeremu"
)

// World is the whole state of the local account, as a JSON document: load it
// with POST /_selfguard/world or `selfguard local --world FILE`, read it back
// with GET /_selfguard/state. docs/emulator.md documents every field.
type World struct {
	Account string           `json:"account,omitempty"`
	Region  string           `json:"region,omitempty"`
	Actors  []awsproto.Actor `json:"actors,omitempty"`
	Lambda  lambdaemu.World  `json:"lambda"`
	Signer  signeremu.World  `json:"signer"`
	Repos   repoemu.World    `json:"repos"`
}

var accountRE = regexp.MustCompile(`^\d{12}$`)

// Validate checks the parts of a world the emulator itself owns.
func (w *World) Validate() error {
	if w.Account != "" && !accountRE.MatchString(w.Account) {
		return fmt.Errorf("world: account %q is not 12 digits", w.Account)
	}
	seen := map[string]bool{}
	for _, a := range w.Actors {
		if a.Name == "" || a.AccessKeyID == "" {
			return fmt.Errorf("world: an actor needs a name and an accessKeyId")
		}
		if seen[a.AccessKeyID] {
			return fmt.Errorf("world: access key %q is used twice", a.AccessKeyID)
		}
		seen[a.AccessKeyID] = true
	}
	return nil
}

// DecodeWorld reads a world document strictly: unknown fields are errors, so
// a typo in a world file is reported instead of silently ignored.
func DecodeWorld(r io.Reader) (*World, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	var w World
	if err := dec.Decode(&w); err != nil {
		return nil, fmt.Errorf("decode world: %w", err)
	}
	return &w, w.Validate()
}

// The default actors of the local account. Their names are what the demo
// and the tests act as; their keys are what the SDK signs with.
const (
	ActorAdmin     = "admin"     // an administrator (IAM user)
	ActorDeveloper = "alice"     // a developer (IAM user)
	ActorAttacker  = "mallory"   // an attacker with stolen developer keys (IAM user)
	ActorCI        = "ci"        // the CI/CD pipeline's role
	ActorGuard     = "selfguard" // the guard functions' own execution role
	ActorImpostor  = "impostor"  // an attacker's role named like the guard's
)

// GuardRoleName is the name of the guard's role in the local account.
const GuardRoleName = "selfguard-guard-role"

// DefaultActors returns the actors every local account starts with.
func DefaultActors(account string) []awsproto.Actor {
	user := func(name, key string) awsproto.Actor {
		return awsproto.Actor{
			Name: name, AccessKeyID: key, SecretKey: "local-secret-" + name,
			Identity: awsproto.Identity{
				Type: "IAMUser", PrincipalID: "AIDA" + key[4:], AccountID: account,
				ARN: "arn:aws:iam::" + account + ":user/" + name, UserName: name,
			},
		}
	}
	role := func(name, key, roleName, session, ip string) awsproto.Actor {
		roleARN := "arn:aws:iam::" + account + ":role/" + roleName
		return awsproto.Actor{
			Name: name, AccessKeyID: key, SecretKey: "local-secret-" + name, SourceIP: ip,
			Identity: awsproto.Identity{
				Type: "AssumedRole", PrincipalID: "AROA" + key[4:] + ":" + session, AccountID: account,
				ARN: "arn:aws:sts::" + account + ":assumed-role/" + roleName + "/" + session,
				SessionContext: &awsproto.SessionContext{
					SessionIssuer: awsproto.SessionIssuer{
						Type: "Role", PrincipalID: "AROA" + key[4:], ARN: roleARN, AccountID: account, UserName: roleName,
					},
					Attributes: map[string]string{"mfaAuthenticated": "false"},
				},
			},
		}
	}
	mallory := user(ActorAttacker, "AKIALOCALMALLORY0001")
	mallory.SourceIP = "198.51.100.66"
	alice := user(ActorDeveloper, "AKIALOCALALICE000001")
	alice.SourceIP = "203.0.113.10"
	return []awsproto.Actor{
		user(ActorAdmin, "AKIALOCALADMIN000001"),
		alice,
		mallory,
		role(ActorCI, "ASIALOCALCI000000001", "ci-deployer", "build", "192.0.2.20"),
		role(ActorGuard, "ASIALOCALGUARD000001", GuardRoleName, "selfguard-lambda-guard", "192.0.2.30"),
		role(ActorImpostor, "ASIALOCALIMPOSTOR001", "selfguard-guard-role-copy", "selfguard-lambda-guard", "198.51.100.67"),
	}
}

package localorg

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/selfguard/selfguard/infra/emulator"
	"github.com/selfguard/selfguard/infra/emulator/awsproto"
)

// The organization's fixed ids.
const (
	OrgID      = "o-localorg01"
	RootID     = "r-loc1"
	Management = "100000000001"
	Security   = "100000000002"
	// OUSecurity holds the security account; OUWorkloads the members,
	// half of them in the nested OUProd.
	OUSecurity  = "ou-loc1-security"
	OUWorkloads = "ou-loc1-workloads"
	OUProd      = "ou-loc1-prod"
	// AuditorKey is the access key of the auditor, an IAM user of the
	// security account: the base credentials of an organization audit.
	AuditorKey    = "AKIALOCALAUDITOR0001"
	AuditorSecret = "local-secret-auditor"
	// DefaultRole is the audit role deployed in every member.
	DefaultRole = "selfguard-audit"
)

// Options shape the organization.
type Options struct {
	// Members is the number of member accounts (ids 200000000001 on).
	Members int
	// Regions every member has enabled (default eu-west-1, us-east-1).
	Regions []string
	// World, when set, gives each member account-region's world.
	World func(account, region string) *emulator.World
	// Role is the audit role's name (default DefaultRole).
	Role string
	// WithoutRole are members where the role is not deployed.
	WithoutRole []string
	// Suspended are members Organizations lists as SUSPENDED.
	Suspended []string
	// Disabled maps a member to regions of Regions it has not enabled.
	Disabled map[string][]string
}

// Org is a running local organization.
type Org struct {
	URL     string
	Members []string
	Regions []string
	// Emulators holds each member account-region's emulator.
	Emulators map[string]*emulator.Server

	opts Options
	mu   sync.RWMutex
	// keys maps an access key to its account.
	keys map[string]string
	ln   net.Listener
}

// Key names an account-region.
func Key(account, region string) string { return account + "/" + region }

// MemberID is the id of the i-th member (from 0).
func MemberID(i int) string { return fmt.Sprintf("2%011d", i+1) }

// Start brings the organization up on loopback. Close it when done.
func Start(opts Options) (*Org, error) {
	if len(opts.Regions) == 0 {
		opts.Regions = []string{"eu-west-1", "us-east-1"}
	}
	if opts.Role == "" {
		opts.Role = DefaultRole
	}
	o := &Org{Regions: opts.Regions, Emulators: map[string]*emulator.Server{}, opts: opts,
		keys: map[string]string{AuditorKey: Security}}
	for i := range opts.Members {
		id := MemberID(i)
		o.Members = append(o.Members, id)
		for _, region := range opts.Regions {
			if slices.Contains(opts.Disabled[id], region) {
				continue
			}
			srv := emulator.New(id, region)
			if opts.World != nil {
				if w := opts.World(id, region); w != nil {
					if err := srv.LoadWorld(w); err != nil {
						return nil, fmt.Errorf("load world of %s: %w", Key(id, region), err)
					}
				}
			}
			o.Emulators[Key(id, region)] = srv
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	o.ln, o.URL = ln, "http://"+ln.Addr().String()
	for _, srv := range o.Emulators {
		srv.Env.BaseURL = o.URL
	}
	go func() { _ = (&http.Server{Handler: o, ReadHeaderTimeout: 10 * time.Second}).Serve(ln) }()
	return o, nil
}

// Close stops serving.
func (o *Org) Close() {
	if o != nil && o.ln != nil {
		o.ln.Close()
	}
}

// AuditorConfig is the SDK configuration of the security account's
// auditor with every service the audit calls pointed at the organization.
func (o *Org) AuditorConfig(region string) aws.Config { return AuditorConfig(o.URL, region) }

// AuditorConfig is the auditor's SDK configuration for an organization
// served at url (by another process, say).
func AuditorConfig(url, region string) aws.Config {
	return aws.Config{
		Region:       region,
		BaseEndpoint: aws.String(url),
		Credentials:  credentials.NewStaticCredentialsProvider(AuditorKey, AuditorSecret, ""),
		HTTPClient:   &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256, MaxIdleConns: 256}},
	}
}

// hasRole says whether the audit role is deployed in the account.
func (o *Org) hasRole(account, role string) bool {
	return role == o.opts.Role && slices.Contains(o.Members, account) && !slices.Contains(o.opts.WithoutRole, account)
}

// enabled lists the regions the account has enabled.
func (o *Org) enabled(account string) []string {
	var out []string
	for _, r := range o.opts.Regions {
		if !slices.Contains(o.opts.Disabled[account], r) {
			out = append(out, r)
		}
	}
	return out
}

// mint issues session credentials for a role of the account and makes
// them known to each of the account's emulators as that role's session.
func (o *Org) mint(account, role, session string) (key, secret string) {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	key = "ASIA" + strings.ToUpper(hex.EncodeToString(b))
	secret = "local-secret-" + key
	roleARN := "arn:aws:iam::" + account + ":role/" + role
	actor := awsproto.Actor{
		Name: role + "/" + session, AccessKeyID: key, SecretKey: secret, SourceIP: "192.0.2.40",
		Identity: awsproto.Identity{
			Type: "AssumedRole", PrincipalID: "AROA" + key[4:] + ":" + session, AccountID: account,
			ARN: "arn:aws:sts::" + account + ":assumed-role/" + role + "/" + session,
			SessionContext: &awsproto.SessionContext{SessionIssuer: awsproto.SessionIssuer{
				Type: "Role", PrincipalID: "AROA" + key[4:], ARN: roleARN, AccountID: account, UserName: role,
			}},
		},
	}
	for _, region := range o.opts.Regions {
		if srv := o.Emulators[Key(account, region)]; srv != nil {
			srv.Identities.Add(actor)
		}
	}
	o.mu.Lock()
	o.keys[key] = account
	o.mu.Unlock()
	return key, secret
}

func (o *Org) accountOf(key string) (string, bool) {
	o.mu.RLock()
	defer o.mu.RUnlock()
	a, ok := o.keys[key]
	return a, ok
}

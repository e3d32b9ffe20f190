package deps

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/rs/zerolog"

	"github.com/selfguard/selfguard/shared/alert"
	"github.com/selfguard/selfguard/shared/hubsync"
	"github.com/selfguard/selfguard/shared/ledger"
	"github.com/selfguard/selfguard/shared/logging"
	"github.com/selfguard/selfguard/shared/ratelimit/adaptive"
	"github.com/selfguard/selfguard/shared/settings"
)

// Deps are a function's shared dependencies.
type Deps struct {
	Settings settings.Settings
	Logger   zerolog.Logger
	AWS      aws.Config
	Alerter  *alert.Publisher
	Ledger   *ledger.Table
	// DB is the DynamoDB client the ledger uses; the sweep keeps its runs
	// in the same table.
	DB *dynamodb.Client
	// Hub is Security Hub kept in step with the judgements, nil unless the
	// deployment asks for it (template parameter SecurityHub).
	Hub *hubsync.Sync
}

// ErrMissing means a required variable is unset: template.yaml always sets
// it, so its absence is a deployment error worth failing the cold start for.
var ErrMissing = errors.New("required setting missing")

// The environment variables AWSConfig reads; Lambda sets the region and
// the execution role's credentials, the local test bed sets them all.
const (
	EnvRegion                    = "AWS_REGION"
	EnvDefaultRegion             = "AWS_DEFAULT_REGION"
	EnvAccessKeyID               = "AWS_ACCESS_KEY_ID"
	EnvSecretAccessKey           = "AWS_SECRET_ACCESS_KEY"
	EnvSessionToken              = "AWS_SESSION_TOKEN"
	EnvEndpointURL               = "AWS_ENDPOINT_URL"
	EnvIgnoreConfiguredEndpoints = "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"
)

// Load reads the environment through getenv and builds the dependencies.
// Clients are only constructed here; none is called, so cold start stays short.
func Load(ctx context.Context, getenv func(string) string) (*Deps, error) {
	log := logging.FromEnv(getenv)
	cfg, err := settings.ForGuard(getenv)
	if err != nil {
		return nil, fmt.Errorf("load settings: %w", err)
	}
	if cfg.TopicARN == "" {
		return nil, fmt.Errorf("%s: %w", settings.EnvTopicARN, ErrMissing)
	}
	if cfg.LedgerTable == "" {
		return nil, fmt.Errorf("%s: %w", settings.EnvLedgerTable, ErrMissing)
	}
	format, err := alert.ParseFormat(getenv(alert.EnvFormat))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", alert.EnvFormat, err)
	}
	awsCfg, err := AWSConfig(getenv)
	if err != nil {
		return nil, fmt.Errorf("load aws config: %w", err)
	}
	db := dynamodb.NewFromConfig(awsCfg)
	d := &Deps{
		Settings: cfg,
		Logger:   log,
		AWS:      awsCfg,
		Alerter:  &alert.Publisher{Client: sns.NewFromConfig(awsCfg), TopicARN: cfg.TopicARN, Format: format},
		Ledger:   ledger.NewTable(db, cfg.LedgerTable),
		DB:       db,
	}
	if hubsync.Enabled(getenv) {
		d.Hub = &hubsync.Sync{API: securityhub.NewFromConfig(awsCfg)}
	}
	return d, nil
}

// AWSConfig builds the SDK configuration from the environment alone, as
// Lambda provides it: region, the execution role's credentials, and the
// endpoint overrides AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE> (which
// the local test bed points at its emulators), with the shared adaptive
// retryer. It does what config.LoadDefaultConfig would do in Lambda without
// linking that package's other credential sources (SSO, OIDC, sign-in,
// STS, IMDS, processes, shared files), whose package initialisation every
// cold start would pay for and none of which a Lambda function uses.
// getenv must read the process environment (os.Getenv in production): the
// SDK's service clients consult AWS_ENDPOINT_URL there themselves.
func AWSConfig(getenv func(string) string) (aws.Config, error) {
	region := getenv(EnvRegion)
	if region == "" {
		region = getenv(EnvDefaultRegion)
	}
	if region == "" {
		return aws.Config{}, fmt.Errorf("%s: %w", EnvRegion, ErrMissing)
	}
	key, secret := getenv(EnvAccessKeyID), getenv(EnvSecretAccessKey)
	if key == "" || secret == "" {
		return aws.Config{}, fmt.Errorf("credentials: %s and %s (Lambda sets them from the execution role): %w",
			EnvAccessKeyID, EnvSecretAccessKey, ErrMissing)
	}
	src := envSource{getenv: getenv}
	cfg := aws.Config{
		Region: region,
		// Lambda's credentials are fixed for the life of the execution
		// environment, as LoadDefaultConfig's environment source treats them.
		Credentials:   aws.NewCredentialsCache(credentials.NewStaticCredentialsProvider(key, secret, getenv(EnvSessionToken))),
		Retryer:       adaptive.Retryer,
		ConfigSources: []any{src},
	}
	if !src.ignoreEndpoints() {
		if u := getenv(EnvEndpointURL); u != "" {
			cfg.BaseEndpoint = aws.String(u)
		}
	}
	return cfg, nil
}

// envSource answers the SDK service clients' questions about configured
// endpoints (internal/configsources' ServiceBaseEndpointProvider and
// IgnoreConfiguredEndpointsProvider) from the environment, as
// config.EnvConfig does.
type envSource struct{ getenv func(string) string }

func (e envSource) ignoreEndpoints() bool {
	return strings.EqualFold(e.getenv(EnvIgnoreConfiguredEndpoints), "true")
}

// GetServiceBaseEndpoint returns AWS_ENDPOINT_URL_<SERVICE>, the service
// being the SDK id upper-cased with spaces as underscores
// ("CodeGuru Reviewer" → AWS_ENDPOINT_URL_CODEGURU_REVIEWER).
func (e envSource) GetServiceBaseEndpoint(_ context.Context, sdkID string) (string, bool, error) {
	name := EnvEndpointURL + "_" + strings.ReplaceAll(strings.ToUpper(sdkID), " ", "_")
	if v := e.getenv(name); v != "" {
		return v, true, nil
	}
	return "", false, nil
}

// GetIgnoreConfiguredEndpoints reports AWS_IGNORE_CONFIGURED_ENDPOINT_URLS.
func (e envSource) GetIgnoreConfiguredEndpoints(context.Context) (bool, bool, error) {
	v := e.getenv(EnvIgnoreConfiguredEndpoints)
	return strings.EqualFold(v, "true"), v != "", nil
}

// Missing is the error for a required variable a function needs beyond
// what Load checks.
func Missing(name string) error { return fmt.Errorf("%s: %w", name, ErrMissing) }

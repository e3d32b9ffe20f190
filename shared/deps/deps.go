package deps

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/rs/zerolog"

	"github.com/selfguard/selfguard/shared/alert"
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
}

// ErrMissing means a required variable is unset: template.yaml always sets
// it, so its absence is a deployment error worth failing the cold start for.
var ErrMissing = errors.New("required setting missing")

// Load reads the environment through getenv and builds the dependencies.
// Clients are only constructed here; none is called, so cold start stays short.
func Load(ctx context.Context, getenv func(string) string) (*Deps, error) {
	log := logging.FromEnv(getenv)
	cfg, err := settings.FromEnv(getenv)
	if err != nil {
		return nil, fmt.Errorf("load settings: %w", err)
	}
	if cfg.TopicARN == "" {
		return nil, fmt.Errorf("%s: %w", settings.EnvTopicARN, ErrMissing)
	}
	if cfg.LedgerTable == "" {
		return nil, fmt.Errorf("%s: %w", settings.EnvLedgerTable, ErrMissing)
	}
	awsCfg, err := config.LoadDefaultConfig(ctx, config.WithRetryer(adaptive.Retryer))
	if err != nil {
		return nil, fmt.Errorf("load aws config: %w", err)
	}
	return &Deps{
		Settings: cfg,
		Logger:   log,
		AWS:      awsCfg,
		Alerter:  &alert.Publisher{Client: sns.NewFromConfig(awsCfg), TopicARN: cfg.TopicARN},
		Ledger:   ledger.NewTable(dynamodb.NewFromConfig(awsCfg), cfg.LedgerTable),
	}, nil
}

package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/codecommit"
	"github.com/aws/aws-sdk-go-v2/service/codegurureviewer"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/signer"

	"github.com/selfguard/selfguard/shared/cloudtrail"
	"github.com/selfguard/selfguard/shared/deps"
	"github.com/selfguard/selfguard/shared/exposureguard"
	"github.com/selfguard/selfguard/shared/finding"
	"github.com/selfguard/selfguard/shared/lambdaguard"
	"github.com/selfguard/selfguard/shared/lambdaguard/observe"
	"github.com/selfguard/selfguard/shared/pipeline"
	"github.com/selfguard/selfguard/shared/ratelimit"
	"github.com/selfguard/selfguard/shared/repoguard"
	"github.com/selfguard/selfguard/shared/settings"
)

// evaluation is what `selfguard evaluate` prints.
type evaluation struct {
	Event struct {
		ID        string `json:"id"`
		Name      string `json:"name"`
		Source    string `json:"source"`
		Actor     string `json:"actor"`
		ActorARN  string `json:"actorArn"`
		Operation string `json:"operation"`
	} `json:"event"`
	Guard string `json:"guard,omitempty"`
	// Ignored says why the guard would not judge this event at all.
	Ignored  string                     `json:"ignored,omitempty"`
	Mode     finding.Mode               `json:"mode"`
	Subjects []pipeline.SubjectDecision `json:"subjects"`
}

func runEvaluate(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("evaluate", flag.ContinueOnError)
	file := fs.String("event", "", "CloudTrail event: an EventBridge event or a bare CloudTrail record (JSON file, - for stdin)")
	region := fs.String("region", "", "region (default: the SDK's)")
	profile := fs.String("profile", "", "shared config profile (default: the SDK's)")
	var judge judgeFlags
	judge.register(fs)
	if code, ok := parseFlags(fs, args, stdout, stderr); !ok {
		return code
	}
	if err := judge.check(); err != nil {
		fmt.Fprintf(stderr, "selfguard evaluate: %v\n", err)
		return ExitUsage
	}
	if *file == "" {
		fmt.Fprintln(stderr, "selfguard evaluate: --event FILE is required")
		return ExitUsage
	}
	data, err := readInput(*file)
	if err != nil {
		fmt.Fprintf(stderr, "selfguard evaluate: %v\n", err)
		return ExitUsage
	}
	_, rec, err := cloudtrail.ParseEnvelope(data)
	if err != nil {
		fmt.Fprintf(stderr, "selfguard evaluate: %s: %v\n", *file, err)
		return ExitUsage
	}
	var stacks StackAPI
	if judge.stack != "" {
		awsCfg, err := loadAWS(ctx, *region, *profile)
		if err != nil {
			fmt.Fprintf(stderr, "selfguard evaluate: %v\n", err)
			return ExitError
		}
		stacks = cloudformation.NewFromConfig(awsCfg, func(o *cloudformation.Options) { o.APIOptions = append(o.APIOptions, ReadOnly) })
	}
	cfg, err := judge.settings(ctx, stacks)
	if err != nil {
		fmt.Fprintf(stderr, "selfguard evaluate: %v\n", err)
		if judge.stack != "" {
			return ExitError
		}
		return ExitUsage
	}
	if len(cfg.TrustedProfiles) == 0 {
		fmt.Fprintf(stderr, "selfguard evaluate: warning: %s\n", WarnNoTrustedProfile)
	}
	var out evaluation
	out.Event.ID, out.Event.Name, out.Event.Source = rec.EventID, rec.EventName, rec.EventSource
	out.Event.Actor, out.Event.ActorARN = rec.UserIdentity.Actor(), rec.UserIdentity.ARN
	out.Event.Operation = string(rec.Operation())
	out.Mode = cfg.Mode
	out.Subjects = []pipeline.SubjectDecision{}
	ev, name, err := evaluatorFor(ctx, rec, cfg, *region, *profile)
	if err != nil {
		fmt.Fprintf(stderr, "selfguard evaluate: %v\n", err)
		return ExitError
	}
	out.Guard = name
	if ev != nil {
		out.Ignored = pipeline.IgnoreReason(cfg, rec)
		if out.Ignored == "" {
			if out.Subjects, err = pipeline.Evaluate(ctx, ev, rec); err != nil {
				fmt.Fprintf(stderr, "selfguard evaluate: %v\n", err)
				return ExitError
			}
		}
	} else {
		out.Ignored = "no guard watches " + rec.EventSource
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		fmt.Fprintf(stderr, "selfguard evaluate: %v\n", err)
		return ExitError
	}
	return ExitOK
}

// evaluatorFor returns the guard that watches the record's service, with
// clients that refuse any write.
func evaluatorFor(ctx context.Context, rec cloudtrail.Record, cfg settings.Settings, region, profile string) (pipeline.Evaluator, string, error) {
	switch rec.EventSource {
	case cloudtrail.SourceLambda, cloudtrail.SourceSigner, cloudtrail.SourceCodeCommit, cloudtrail.SourceCodeGuru:
	default:
		return nil, "", nil
	}
	awsCfg, err := loadAWS(ctx, region, profile)
	if err != nil {
		return nil, "", err
	}
	if rec.EventSource == cloudtrail.SourceLambda || rec.EventSource == cloudtrail.SourceSigner {
		l := lambda.NewFromConfig(awsCfg, ratelimit.LambdaOptions(cfg.LambdaRate), func(o *lambda.Options) { o.APIOptions = append(o.APIOptions, ReadOnly) })
		if cfg.Exposure.Account == "" {
			// The record is the user's own file: its account is the one audited.
			cfg.Exposure.Account = rec.RecipientAccountID
		}
		g := lambdaguard.New(l, cfg)
		sg := signer.NewFromConfig(awsCfg, deps.SignerOptions(os.Getenv), func(o *signer.Options) { o.APIOptions = append(o.APIOptions, ReadOnly) })
		g.Signatures = observe.NewSignatures(sg, cfg)
		return pipeline.Composite{
			{Name: "code", Evaluator: g},
			{Name: exposureguard.Name, Evaluator: exposureguard.New(l, cfg)},
		}, "lambda-guard", nil
	}
	cc := codecommit.NewFromConfig(awsCfg, func(o *codecommit.Options) { o.APIOptions = append(o.APIOptions, ReadOnly) })
	cg := codegurureviewer.NewFromConfig(awsCfg, func(o *codegurureviewer.Options) { o.APIOptions = append(o.APIOptions, ReadOnly) })
	return repoguard.New(cc, cg, cfg), "repo-guard", nil
}

// loadAWS loads the SDK's default configuration, with the region and
// profile given on the command line where they are.
func loadAWS(ctx context.Context, region, profile string) (aws.Config, error) {
	var opts []func(*config.LoadOptions) error
	if region != "" {
		opts = append(opts, config.WithRegion(region))
	}
	if profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(profile))
	}
	awsCfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("aws config: %w", err)
	}
	return awsCfg, nil
}

func readInput(name string) ([]byte, error) {
	if name == "-" {
		return io.ReadAll(io.LimitReader(os.Stdin, cloudtrail.MaxEventSize+1))
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, cloudtrail.MaxEventSize+1))
}

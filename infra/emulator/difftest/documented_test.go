package difftest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codecommit"
	cctypes "github.com/aws/aws-sdk-go-v2/service/codecommit/types"
	"github.com/aws/aws-sdk-go-v2/service/signer"
	signertypes "github.com/aws/aws-sdk-go-v2/service/signer/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/selfguard/selfguard/infra/emulator"
	"github.com/selfguard/selfguard/infra/emulator/lambdaemu"
	"github.com/selfguard/selfguard/infra/emulator/repoemu"
	"github.com/selfguard/selfguard/infra/emulator/signeremu"
)

// There is no recording of these calls to replay, and moto cannot be the
// reference (it has no Signer, and its CodeCommit dates do not decode in
// SDK v2), so the emulator's answers are held to the documented response
// shapes instead: the members the API references list (Signer, CodeCommit),
// as SDK field paths, with every member the emulator leaves out on an
// allow-list with its reason.

// documentedSame fails when the fields the emulator populates differ from
// the documented ones beyond the allowance.
func documentedSame(t *testing.T, what string, documented []string, got any, allow allowance) {
	t.Helper()
	slices.Sort(documented)
	onlyDoc, onlyEmu := fieldDiff(documented, fieldSet(got), allow)
	if len(onlyDoc) > 0 {
		t.Errorf("%s: documented, missing from the emulator's answer: %v", what, onlyDoc)
	}
	if len(onlyEmu) > 0 {
		t.Errorf("%s: in the emulator's answer, not documented: %v", what, onlyEmu)
	}
}

// lambdaPlatformGaps are the Signer members a Lambda-platform profile made
// without them does not have here.
var lambdaPlatformGaps = map[string]string{
	"SigningMaterial":   "the Lambda platform signs with AWS-managed material; the emulator refuses signingMaterial",
	"Overrides":         "not accepted by the emulator's PutSigningProfile",
	"SigningParameters": "not accepted by the emulator's PutSigningProfile",
}

// signerAt returns a signer client of the emulator at url; see
// signeremu.NoEndpointHostPrefix.
func signerAt(url, key, secret string) *signer.Client {
	return signer.New(signer.Options{Region: region, BaseEndpoint: aws.String(url), RetryMaxAttempts: 1,
		Credentials: staticCreds(key, secret), APIOptions: []func(*middleware.Stack) error{signeremu.NoEndpointHostPrefix}})
}

func TestSignerAnswersHaveTheDocumentedShapes(t *testing.T) {
	ctx := context.Background()
	e := newEmu(t, lambdaemu.World{
		SigningProfiles: []lambdaemu.ProfileWorld{{Name: "release", Version: "Rel0000001", Tags: map[string]string{"team": "a"}}},
		S3Objects:       []lambdaemu.S3ObjectWorld{{Bucket: "b", Key: "app.zip", Data: zip("x")}},
	})
	key, secret := actorKeys(t, emulator.ActorDeveloper)
	c := signerAt(e.url, key, secret)
	job := must(c.StartSigningJob(ctx, &signer.StartSigningJobInput{ProfileName: aws.String("release"),
		Source:      &signertypes.Source{S3: &signertypes.S3Source{BucketName: aws.String("b"), Key: aws.String("app.zip"), Version: aws.String("1")}},
		Destination: &signertypes.Destination{S3: &signertypes.S3Destination{BucketName: aws.String("b"), Prefix: aws.String("out/")}}}))(t)
	documentedSame(t, "StartSigningJob", []string{"JobId", "JobOwner"}, job, allowance{})
	must(c.RevokeSignature(ctx, &signer.RevokeSignatureInput{JobId: job.JobId, Reason: aws.String("r")}))(t)
	must(c.RevokeSigningProfile(ctx, &signer.RevokeSigningProfileInput{ProfileName: aws.String("release"),
		ProfileVersion: aws.String("Rel0000001"), Reason: aws.String("r"), EffectiveTime: aws.Time(time.Now())}))(t)

	described := must(c.DescribeSigningJob(ctx, &signer.DescribeSigningJobInput{JobId: job.JobId}))(t)
	documentedSame(t, "DescribeSigningJob", []string{
		"CompletedAt", "CreatedAt", "JobId", "JobInvoker", "JobOwner", "Overrides", "PlatformDisplayName", "PlatformId",
		"ProfileName", "ProfileVersion", "RequestedBy", "RevocationRecord", "RevocationRecord.Reason",
		"RevocationRecord.RevokedAt", "RevocationRecord.RevokedBy", "SignatureExpiresAt", "SignedObject", "SignedObject.S3",
		"SignedObject.S3.BucketName", "SignedObject.S3.Key", "SigningMaterial", "SigningParameters", "Source", "Source.S3",
		"Source.S3.BucketName", "Source.S3.Key", "Source.S3.Version", "Status", "StatusReason",
	}, described, allowance{awsOnly: lambdaPlatformGaps})

	profile := must(c.GetSigningProfile(ctx, &signer.GetSigningProfileInput{ProfileName: aws.String("release")}))(t)
	documentedSame(t, "GetSigningProfile", []string{
		"Arn", "Overrides", "PlatformDisplayName", "PlatformId", "ProfileName", "ProfileVersion", "ProfileVersionArn",
		"RevocationRecord", "RevocationRecord.RevocationEffectiveFrom", "RevocationRecord.RevokedAt", "RevocationRecord.RevokedBy",
		"SignatureValidityPeriod", "SignatureValidityPeriod.Type", "SignatureValidityPeriod.Value", "SigningMaterial",
		"SigningParameters", "Status", "StatusReason", "Tags",
	}, profile, allowance{awsOnly: map[string]string{
		"SigningMaterial": lambdaPlatformGaps["SigningMaterial"], "Overrides": lambdaPlatformGaps["Overrides"],
		"SigningParameters": lambdaPlatformGaps["SigningParameters"],
		"StatusReason":      "AWS documents no value for it; the emulator sets none",
	}})

	jobs := must(c.ListSigningJobs(ctx, &signer.ListSigningJobsInput{}))(t)
	documentedSame(t, "ListSigningJobs", []string{
		"Jobs", "Jobs[].CreatedAt", "Jobs[].IsRevoked", "Jobs[].JobId", "Jobs[].JobInvoker", "Jobs[].JobOwner",
		"Jobs[].PlatformDisplayName", "Jobs[].PlatformId", "Jobs[].ProfileName", "Jobs[].ProfileVersion",
		"Jobs[].SignatureExpiresAt", "Jobs[].SignedObject", "Jobs[].SignedObject.S3", "Jobs[].SignedObject.S3.BucketName",
		"Jobs[].SignedObject.S3.Key", "Jobs[].SigningMaterial", "Jobs[].Source", "Jobs[].Source.S3", "Jobs[].Source.S3.BucketName",
		"Jobs[].Source.S3.Key", "Jobs[].Source.S3.Version", "Jobs[].Status",
	}, jobs, allowance{awsOnly: map[string]string{"Jobs[].SigningMaterial": lambdaPlatformGaps["SigningMaterial"]}})
}

func TestCodeCommitPullRequestAnswersHaveTheDocumentedShapes(t *testing.T) {
	ctx := context.Background()
	e := newEmu(t, lambdaWorldNone)
	if err := e.srv.Repos.LoadWorld(repoemu.World{
		Repositories:          []repoemu.Repository{{Name: "MyDemoRepo", DefaultBranch: "main"}},
		ApprovalRuleTemplates: []repoemu.ApprovalRuleTemplate{{Name: "2-approver-rule-for-main", Content: `{"Version":"2018-11-08","Statements":[{"Type":"Approvers","NumberOfApprovalsNeeded":2}]}`}},
		TemplateAssociations:  []repoemu.TemplateAssociation{{Template: "2-approver-rule-for-main", Repository: "MyDemoRepo"}},
	}); err != nil {
		t.Fatal(err)
	}
	key, secret := actorKeys(t, emulator.ActorDeveloper)
	c := codecommitAt(e.url, key, secret)
	created := must(c.CreatePullRequest(ctx, &codecommit.CreatePullRequestInput{Title: aws.String("My Pull Request"),
		Description: aws.String("Please review these changes by Tuesday"), ClientRequestToken: aws.String("123Example"),
		Targets: []cctypes.Target{{RepositoryName: aws.String("MyDemoRepo"), SourceReference: aws.String("MyNewBranch")}}}))(t)
	// The fields of the create-pull-request example of the CodeCommit CLI
	// reference; isMerged is false there, and a false scalar is not counted.
	pr := "PullRequest."
	documentedSame(t, "CreatePullRequest", []string{
		"PullRequest", pr + "ApprovalRules", pr + "ApprovalRules[].ApprovalRuleContent", pr + "ApprovalRules[].ApprovalRuleId",
		pr + "ApprovalRules[].ApprovalRuleName", pr + "ApprovalRules[].CreationDate", pr + "ApprovalRules[].LastModifiedDate",
		pr + "ApprovalRules[].LastModifiedUser", pr + "ApprovalRules[].OriginApprovalRuleTemplate",
		pr + "ApprovalRules[].OriginApprovalRuleTemplate.ApprovalRuleTemplateId",
		pr + "ApprovalRules[].OriginApprovalRuleTemplate.ApprovalRuleTemplateName", pr + "ApprovalRules[].RuleContentSha256",
		pr + "AuthorArn", pr + "ClientRequestToken", pr + "CreationDate", pr + "Description", pr + "LastActivityDate",
		pr + "PullRequestId", pr + "PullRequestStatus", pr + "PullRequestTargets", pr + "PullRequestTargets[].DestinationCommit",
		pr + "PullRequestTargets[].DestinationReference", pr + "PullRequestTargets[].MergeMetadata",
		pr + "PullRequestTargets[].RepositoryName", pr + "PullRequestTargets[].SourceCommit",
		pr + "PullRequestTargets[].SourceReference", pr + "Title",
	}, created, allowance{emulatorOnly: map[string]string{
		pr + "RevisionId":                     "in the API reference's PullRequest; the CLI example predates it",
		pr + "PullRequestTargets[].MergeBase": "in the API reference's PullRequestTarget; the CLI example leaves it out",
	}})

	must(c.OverridePullRequestApprovalRules(ctx, &codecommit.OverridePullRequestApprovalRulesInput{PullRequestId: created.PullRequest.PullRequestId,
		RevisionId: created.PullRequest.RevisionId, OverrideStatus: cctypes.OverrideStatusOverride}))(t)
	state := must(c.GetPullRequestOverrideState(ctx, &codecommit.GetPullRequestOverrideStateInput{PullRequestId: created.PullRequest.PullRequestId,
		RevisionId: created.PullRequest.RevisionId}))(t)
	documentedSame(t, "GetPullRequestOverrideState", []string{"Overridden", "Overrider"}, state, allowance{})

	dis := must(c.BatchDisassociateApprovalRuleTemplateFromRepositories(ctx, &codecommit.BatchDisassociateApprovalRuleTemplateFromRepositoriesInput{
		ApprovalRuleTemplateName: aws.String("2-approver-rule-for-main"), RepositoryNames: []string{"MyDemoRepo", "MyOtherDemoRepo"}}))(t)
	documentedSame(t, "BatchDisassociateApprovalRuleTemplateFromRepositories", []string{"DisassociatedRepositoryNames", "Errors",
		"Errors[].ErrorCode", "Errors[].ErrorMessage", "Errors[].RepositoryName"}, dis, allowance{})
}

func codecommitAt(url, key, secret string) *codecommit.Client {
	return codecommit.New(codecommit.Options{Region: region, BaseEndpoint: aws.String(url), RetryMaxAttempts: 1,
		Credentials: staticCreds(key, secret)})
}

// must turns a call's (value, error) into the value, failing the test on an
// error.
func must[T any](v T, err error) func(testing.TB) T {
	return func(t testing.TB) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

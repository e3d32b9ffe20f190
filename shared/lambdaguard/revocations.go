package lambdaguard

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/selfguard/selfguard/shared/cloudtrail"
	"github.com/selfguard/selfguard/shared/finding"
	"github.com/selfguard/selfguard/shared/lambdaarn"
	"github.com/selfguard/selfguard/shared/lambdaguard/observe"
	"github.com/selfguard/selfguard/shared/lambdaguard/snapshot"
	"github.com/selfguard/selfguard/shared/pipeline"
)

// A revocation in AWS Signer (RevokeSignature, RevokeSigningProfile) names
// a signing job or a profile version, not a function: Lambda checked the
// signature on deploy and looks at it no more. The guard finds the
// functions whose $LATEST, versions or layers that job or profile signed
// (ListFunctions, every version) and judges each in full, asking Signer
// afresh.

// FunctionLister lists functions; the Lambda client is one.
type FunctionLister interface {
	ListFunctions(ctx context.Context, in *lambda.ListFunctionsInput, optFns ...func(*lambda.Options)) (*lambda.ListFunctionsOutput, error)
}

// ErrNoLister means the guard's API cannot list functions, so a
// revocation cannot be traced to them.
var ErrNoLister = errors.New("the Lambda API given cannot list functions")

// signerRequest holds the request parameters of Signer's revocations.
type signerRequest struct {
	JobID          string `json:"jobId"`
	JobOwner       string `json:"jobOwner"`
	ProfileName    string `json:"profileName"`
	ProfileVersion string `json:"profileVersion"`
}

// revocationSubjects returns the signing job or profile version a Signer
// record revokes; other Signer records give none.
func revocationSubjects(rec cloudtrail.Record) ([]pipeline.Subject, error) {
	op := rec.Operation()
	if op != cloudtrail.RevokeSignature && op != cloudtrail.RevokeSigningProfile {
		return nil, nil
	}
	var req signerRequest
	if err := rec.Request(&req); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	prefix := "arn:" + partition(rec.AWSRegion) + ":signer:" + rec.AWSRegion + ":"
	if op == cloudtrail.RevokeSignature {
		owner := req.JobOwner
		if owner == "" {
			owner = rec.RecipientAccountID
		}
		if req.JobID == "" {
			return nil, &pipeline.Permanent{Reason: string(op) + ": no jobId in the request"}
		}
		return []pipeline.Subject{{Type: finding.ResourceSigningJob, Name: prefix + owner + ":/signing-jobs/" + req.JobID}}, nil
	}
	if req.ProfileName == "" || req.ProfileVersion == "" {
		return nil, &pipeline.Permanent{Reason: string(op) + ": no profileName and profileVersion in the request"}
	}
	return []pipeline.Subject{{Type: finding.ResourceSigningProfile,
		Name: prefix + rec.RecipientAccountID + ":/signing-profiles/" + req.ProfileName + "/" + req.ProfileVersion}}, nil
}

// evaluateRevocation judges every function the revoked job or profile
// version signed, with Signer asked afresh about it.
func (g *Guard) evaluateRevocation(ctx context.Context, s pipeline.Subject) (finding.Decision, error) {
	if g.Signatures != nil {
		g.Signatures.Forget(s.Name)
	}
	names, err := g.signedBy(ctx, s)
	if err != nil {
		return finding.Decision{}, err
	}
	var all finding.Decision
	for _, name := range names {
		d, _, err := g.EvaluateFunction(ctx, name, observe.ScopeFull)
		if err != nil {
			return all, err
		}
		all.Findings = append(all.Findings, d.Findings...)
		all.Actions = append(all.Actions, d.Actions...)
	}
	return all, nil
}

// signedBy lists the functions with a version or layer the subject's job
// or profile version signed, by name.
func (g *Guard) signedBy(ctx context.Context, s pipeline.Subject) ([]string, error) {
	lister, ok := g.API.(FunctionLister)
	if !ok {
		return nil, ErrNoLister
	}
	match := signedByMatcher(s)
	seen := map[string]bool{}
	p := lambda.NewListFunctionsPaginator(lister, &lambda.ListFunctionsInput{FunctionVersion: types.FunctionVersionAll})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list functions signed by %s: %w", s.Name, err)
		}
		for _, fc := range page.Functions {
			if !match(aws.ToString(fc.SigningProfileVersionArn), aws.ToString(fc.SigningJobArn)) && !layerMatch(fc.Layers, match) {
				continue
			}
			seen[aws.ToString(fc.FunctionName)] = true
		}
	}
	names := make([]string, 0, len(seen))
	for n := range seen {
		names = append(names, n)
	}
	sort.Strings(names)
	return names, nil
}

// signedByMatcher tells whether a recorded signature is the subject's:
// the same job id, or the same profile name and version, of the same account.
func signedByMatcher(s pipeline.Subject) func(profileARN, jobARN string) bool {
	account := lambdaarn.Account(s.Name)
	if s.Type == finding.ResourceSigningJob {
		id := snapshot.SigningJobID(s.Name)
		return func(_, jobARN string) bool {
			return id != "" && snapshot.SigningJobID(jobARN) == id && lambdaarn.Account(jobARN) == account
		}
	}
	name, version, _ := snapshot.SplitProfileVersion(s.Name)
	return func(profileARN, _ string) bool {
		n, v, ok := snapshot.SplitProfileVersion(profileARN)
		return ok && n == name && v == version && lambdaarn.Account(profileARN) == account
	}
}

func layerMatch(ls []types.Layer, match func(profileARN, jobARN string) bool) bool {
	for _, l := range ls {
		if match(aws.ToString(l.SigningProfileVersionArn), aws.ToString(l.SigningJobArn)) {
			return true
		}
	}
	return false
}

// partition returns the AWS partition of a region.
func partition(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	}
	return "aws"
}

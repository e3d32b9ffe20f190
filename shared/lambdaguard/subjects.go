package lambdaguard

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/selfguard/selfguard/shared/cloudtrail"
	"github.com/selfguard/selfguard/shared/finding"
	"github.com/selfguard/selfguard/shared/lambdaarn"
	"github.com/selfguard/selfguard/shared/lambdaguard/decide"
	"github.com/selfguard/selfguard/shared/pipeline"
)

// request holds the request parameters of the Lambda records the guard
// reads (camelCase, as CloudTrail records them).
type request struct {
	FunctionName         string `json:"functionName"`
	Name                 string `json:"name"`
	Qualifier            string `json:"qualifier"`
	CodeSigningConfigArn string `json:"codeSigningConfigArn"`
	// RoutingConfig is an alias's weights, when the request sets them.
	RoutingConfig json.RawMessage `json:"routingConfig"`
}

// response holds what the guard may need from a response: the function a
// CreateFunction or PublishVersion answered with, and the version it
// published (with publish=true the response is the new version's).
type response struct {
	FunctionName string `json:"functionName"`
	FunctionArn  string `json:"functionArn"`
	Version      string `json:"version"`
}

// Subjects implements pipeline.Evaluator. Records of other sources or of
// operations the guard does not judge give no subject. An
// UpdateCodeSigningConfig record gives the code signing config itself, and a
// Signer revocation the job or profile version (revocations.go): their
// functions are found when they are evaluated, which needs a context.
func (g *Guard) Subjects(_ context.Context, rec cloudtrail.Record) ([]pipeline.Subject, error) {
	if rec.EventSource == cloudtrail.SourceSigner {
		return revocationSubjects(rec)
	}
	if rec.EventSource != cloudtrail.SourceLambda {
		return nil, nil
	}
	op := rec.Operation()
	switch op {
	case cloudtrail.CreateFunction, cloudtrail.UpdateFunctionCode, cloudtrail.UpdateFunctionConfiguration,
		cloudtrail.PublishVersion, cloudtrail.PutFunctionCodeSigningConfig, cloudtrail.DeleteFunctionCodeSigningConfig,
		cloudtrail.CreateAlias, cloudtrail.UpdateAlias, cloudtrail.UpdateCodeSigningConfig:
	case cloudtrail.PutFunctionConcurrency, cloudtrail.DeleteFunctionConcurrency:
		if !decide.Lifts(rec) {
			return nil, nil // reserved concurrency 0 stops invocations: never a risk
		}
	default:
		// PublishLayerVersion among them: a layer is judged once a function uses it.
		return nil, nil
	}
	var req request
	if err := rec.Request(&req); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	if op == cloudtrail.UpdateCodeSigningConfig {
		if req.CodeSigningConfigArn == "" {
			return nil, fmt.Errorf("%s: no codeSigningConfigArn in the request", op)
		}
		return []pipeline.Subject{{Type: finding.ResourceCodeSigningConfig, Name: req.CodeSigningConfigArn}}, nil
	}
	var resp response
	if err := rec.Response(&resp); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	ref := req.FunctionName
	if ref == "" {
		ref = resp.FunctionName
	}
	if ref == "" {
		return nil, fmt.Errorf("%s: no functionName in the record", op)
	}
	name, qualifier := lambdaarn.SplitFunction(ref)
	if req.Qualifier != "" {
		qualifier = req.Qualifier
	}
	if op == cloudtrail.CreateAlias || op == cloudtrail.UpdateAlias {
		if req.Name == "" {
			return nil, fmt.Errorf("%s: no alias name in the request", op)
		}
		return []pipeline.Subject{{Type: finding.ResourceAlias, Name: name, Qualifier: req.Name, Quick: !weighted(req.RoutingConfig)}}, nil
	}
	if published(op, resp.Version) {
		// The version the call published: judged like $LATEST, since it
		// is invocable by its qualified ARN as soon as it exists.
		qualifier = resp.Version
	}
	return []pipeline.Subject{{Type: finding.ResourceFunction, Name: name, Qualifier: qualifier, Quick: quickOps[op]}}, nil
}

// quickOps change a function's code or configuration but not its code
// signing config, and have no edge rule: a GetFunction showing $LATEST (and
// the version published, if any) trusted settles them. A new function
// (CreateFunction) may come with no config at all, and the config and
// concurrency events are about nothing else, so those are read in full.
var quickOps = map[cloudtrail.Operation]bool{
	cloudtrail.UpdateFunctionCode: true, cloudtrail.UpdateFunctionConfiguration: true, cloudtrail.PublishVersion: true,
}

// weighted reports whether an alias request sets routing weights: what a
// GetFunction of the alias does not show.
func weighted(rc json.RawMessage) bool {
	rc = bytes.TrimSpace(rc)
	return len(rc) > 0 && !bytes.Equal(rc, []byte("null")) && !bytes.Equal(rc, []byte("{}"))
}

// published reports whether a record of op answered with a version it
// published: PublishVersion, or CreateFunction and UpdateFunctionCode with
// publish=true.
func published(op cloudtrail.Operation, version string) bool {
	switch op {
	case cloudtrail.PublishVersion, cloudtrail.CreateFunction, cloudtrail.UpdateFunctionCode:
		return isVersionNumber(version)
	}
	return false
}

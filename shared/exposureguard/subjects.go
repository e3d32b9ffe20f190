package exposureguard

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/selfguard/selfguard/shared/cloudtrail"
	"github.com/selfguard/selfguard/shared/exposureguard/snapshot"
	"github.com/selfguard/selfguard/shared/finding"
	"github.com/selfguard/selfguard/shared/lambdaarn"
	"github.com/selfguard/selfguard/shared/pipeline"
)

// The Lambda operations the exposure guard judges. The function URL and
// recursion events carry no version suffix; the others do
// (AddPermission20150331v2, AddLayerVersionPermission20181031,
// CreateEventSourceMapping20150331); cloudtrail.Normalize removes it.
const (
	AddPermission              cloudtrail.Operation = "AddPermission"
	RemovePermission           cloudtrail.Operation = "RemovePermission"
	PutResourcePolicy          cloudtrail.Operation = "PutResourcePolicy"
	CreateFunctionURLConfig    cloudtrail.Operation = "CreateFunctionUrlConfig"
	UpdateFunctionURLConfig    cloudtrail.Operation = "UpdateFunctionUrlConfig"
	AddLayerVersionPermission  cloudtrail.Operation = "AddLayerVersionPermission"
	CreateEventSourceMapping   cloudtrail.Operation = "CreateEventSourceMapping"
	UpdateEventSourceMapping   cloudtrail.Operation = "UpdateEventSourceMapping"
	PutFunctionRecursionConfig cloudtrail.Operation = "PutFunctionRecursionConfig"
)

// The aspects of a function an event points at.
const (
	AspectPolicy    = "policy"
	AspectURL       = "url"
	AspectRecursion = "recursion"
)

// request holds the request parameters of the records the guard reads
// (camelCase, as CloudTrail records them). A mapping's UUID is "uUID".
type request struct {
	FunctionName  string          `json:"functionName"`
	Qualifier     string          `json:"qualifier"`
	ResourceArn   string          `json:"resourceArn"`
	LayerName     string          `json:"layerName"`
	VersionNumber json.RawMessage `json:"versionNumber"`
	UUID          string          `json:"uUID"`
}

// response holds a created mapping's UUID and function.
type response struct {
	UUID        string `json:"uUID"`
	FunctionArn string `json:"functionArn"`
}

// Subjects implements pipeline.Evaluator.
func (g *Guard) Subjects(_ context.Context, rec cloudtrail.Record) ([]pipeline.Subject, error) {
	if rec.EventSource != cloudtrail.SourceLambda {
		return nil, nil
	}
	op := rec.Operation()
	var aspect string
	switch op {
	case AddPermission, RemovePermission, PutResourcePolicy:
		aspect = AspectPolicy
	case CreateFunctionURLConfig, UpdateFunctionURLConfig:
		aspect = AspectURL
	case PutFunctionRecursionConfig:
		aspect = AspectRecursion
	case AddLayerVersionPermission:
		return layerSubject(rec)
	case CreateEventSourceMapping, UpdateEventSourceMapping:
		return mappingSubject(rec)
	default:
		return nil, nil
	}
	var req request
	if err := rec.Request(&req); err != nil {
		return nil, &pipeline.Permanent{Reason: string(op), Err: err}
	}
	ref := req.FunctionName
	if op == PutResourcePolicy {
		ref = req.ResourceArn
	}
	if ref == "" {
		return nil, &pipeline.Permanent{Reason: fmt.Sprintf("%s: no function in the request", op)}
	}
	name, qualifier := lambdaarn.SplitFunction(ref)
	if req.Qualifier != "" {
		qualifier = req.Qualifier
	}
	if aspect == AspectRecursion || qualifier == "$LATEST" {
		// Recursion is the function's; $LATEST has the function's policy.
		qualifier = ""
	}
	return []pipeline.Subject{{Type: finding.ResourceFunction, Name: name, Qualifier: qualifier, Aspect: aspect}}, nil
}

func layerSubject(rec cloudtrail.Record) ([]pipeline.Subject, error) {
	var req request
	if err := rec.Request(&req); err != nil {
		return nil, &pipeline.Permanent{Reason: "AddLayerVersionPermission", Err: err}
	}
	name, version := snapshot.SplitLayer(req.LayerName)
	if v := strings.Trim(string(req.VersionNumber), `"`); v != "" && v != "null" {
		version = v
	}
	if _, err := strconv.ParseInt(version, 10, 64); name == "" || err != nil {
		return nil, &pipeline.Permanent{Reason: fmt.Sprintf("AddLayerVersionPermission: layer %q version %q", req.LayerName, version)}
	}
	return []pipeline.Subject{{Type: finding.ResourceLayer, Name: name, Qualifier: version}}, nil
}

func mappingSubject(rec cloudtrail.Record) ([]pipeline.Subject, error) {
	var req request
	var resp response
	if err := rec.Request(&req); err != nil {
		return nil, &pipeline.Permanent{Reason: string(rec.Operation()), Err: err}
	}
	if err := rec.Response(&resp); err != nil {
		return nil, &pipeline.Permanent{Reason: string(rec.Operation()), Err: err}
	}
	uuid := req.UUID
	if uuid == "" {
		uuid = resp.UUID
	}
	if uuid == "" {
		return nil, &pipeline.Permanent{Reason: fmt.Sprintf("%s: no mapping UUID in the record", rec.Operation())}
	}
	return []pipeline.Subject{{Type: finding.ResourceEventSourceMapping, Name: uuid}}, nil
}

package report

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	shtypes "github.com/aws/aws-sdk-go-v2/service/securityhub/types"

	"github.com/selfguard/selfguard/shared/finding"
	"github.com/selfguard/selfguard/shared/rules"
)

// ASFFSchemaVersion is the only schema version Security Hub accepts.
const ASFFSchemaVersion = "2018-10-08"

// ASFF finding types are namespace/category/classifier; selfguard's rules
// are configuration checks.
const asffType = "Software and Configuration Checks/AWS Security Best Practices"

// asffTypeOf names a finding's type by its rule's guardrail, from the rule
// registry, so Security Hub can group selfguard's findings by guardrail.
func asffTypeOf(id finding.RuleID) string {
	r, ok := rules.Get(id)
	if !ok {
		return asffType
	}
	return asffType + "/selfguard-" + string(r.Guardrail)
}

// Length limits Security Hub enforces on the text fields.
const (
	maxTitle       = 256
	maxDescription = 1024
	maxRemediation = 512
)

// ASFF product identity: selfguard reports into each account's default
// product (a custom integration), which lets it name itself.
const (
	ProductName = "selfguard"
	CompanyName = "selfguard"
)

// ASFFTime is the timestamp format of ASFF's date fields.
const ASFFTime = "2006-01-02T15:04:05.000Z"

// ASFF converts the report's items into Security Hub findings, in the
// SDK's own types. The result is what BatchImportFindings takes (at most
// 100 per call); every finding is ACTIVE and FAILED, first and last
// observed at the report's time (an import keeps an earlier first sighting).
func (r *Report) ASFF() []shtypes.AwsSecurityFinding {
	at := r.GeneratedAt.UTC()
	if at.IsZero() {
		at = time.Now().UTC()
	}
	stamp := aws.String(at.Format(ASFFTime))
	out := make([]shtypes.AwsSecurityFinding, 0, len(r.Items))
	for _, it := range r.Items {
		f := it.Finding
		part := Partition(it.Region)
		title := limit(f.Summary, maxTitle)
		if title == "" {
			title = string(f.Rule)
		}
		af := shtypes.AwsSecurityFinding{
			SchemaVersion:   aws.String(ASFFSchemaVersion),
			Id:              aws.String(ASFFID(it)),
			ProductArn:      aws.String(ProductARN(part, it.Region, it.Account)),
			ProductName:     aws.String(ProductName),
			CompanyName:     aws.String(CompanyName),
			GeneratorId:     aws.String("selfguard/" + string(f.Rule)),
			AwsAccountId:    aws.String(it.Account),
			Region:          aws.String(it.Region),
			Types:           []string{asffTypeOf(f.Rule)},
			CreatedAt:       stamp,
			UpdatedAt:       stamp,
			FirstObservedAt: stamp,
			LastObservedAt:  stamp,
			Severity:        &shtypes.Severity{Label: shtypes.SeverityLabel(strings.ToUpper(string(f.Severity))), Original: aws.String(string(f.Severity))},
			Title:           aws.String(title),
			Description:     aws.String(limit(description(f), maxDescription)),
			Resources: []shtypes.Resource{{
				Type: aws.String(resourceType(f.ResourceType)), Id: aws.String(resourceID(it, part)),
				Partition: shtypes.Partition(part), Region: aws.String(it.Region),
			}},
			Compliance: &shtypes.Compliance{Status: shtypes.ComplianceStatusFailed},
			ProductFields: map[string]string{
				"selfguard/rule":         string(f.Rule),
				"selfguard/guardrail":    guardrailOf(f.Rule),
				"selfguard/resourceType": string(f.ResourceType),
				"selfguard/resource":     f.Resource,
			},
			RecordState: shtypes.RecordStateActive,
		}
		if text := remediation(it.Actions); text != "" {
			af.Remediation = &shtypes.Remediation{Recommendation: &shtypes.Recommendation{Text: aws.String(limit(text, maxRemediation))}}
		}
		out = append(out, af)
	}
	return out
}

// ASFFID is an item's finding id: stable across runs, so a new import
// updates the finding rather than adding one. Its parts are joined by "/"
// (not finding.Key's "|", which moto's pagination tokens cannot carry).
func ASFFID(it Item) string {
	f := it.Finding
	return fmt.Sprintf("selfguard/%s/%s/%s/%s/%s", it.Account, it.Region, f.Rule, f.ResourceType, f.Resource)
}

// ProductARN is the account's default Security Hub product in a region.
func ProductARN(partition, region, account string) string {
	return fmt.Sprintf("arn:%s:securityhub:%s:%s:product/%s/default", partition, region, account, account)
}

// WriteASFF writes the findings as a JSON array in ASFF, as `aws
// securityhub batch-import-findings --findings` takes them.
func (r *Report) WriteASFF(w io.Writer) error {
	js, err := MarshalASFF(r.ASFF())
	if err != nil {
		return fmt.Errorf("write asff report: %w", err)
	}
	if _, err := w.Write(append(js, '\n')); err != nil {
		return fmt.Errorf("write asff report: %w", err)
	}
	return nil
}

// MarshalASFF writes SDK findings as ASFF JSON: the SDK's field names are
// ASFF's, and the fields it leaves unset (nil, empty) are left out.
func MarshalASFF(fs []shtypes.AwsSecurityFinding) ([]byte, error) {
	raw, err := json.Marshal(fs)
	if err != nil {
		return nil, err
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, err
	}
	return json.MarshalIndent(prune(v), "", "  ")
}

// prune drops nulls, empty strings and empty objects and arrays.
func prune(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if e = prune(e); empty(e) {
				delete(x, k)
			} else {
				x[k] = e
			}
		}
		return x
	case []any:
		out := x[:0]
		for _, e := range x {
			if e = prune(e); !empty(e) {
				out = append(out, e)
			}
		}
		return out
	}
	return v
}

func empty(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == ""
	case map[string]any:
		return len(x) == 0
	case []any:
		return len(x) == 0
	}
	return false
}

func description(f finding.Finding) string {
	if f.Detail == "" {
		return f.Summary
	}
	return f.Summary + ". " + f.Detail
}

func remediation(actions []finding.Action) string {
	var parts []string
	for _, a := range actions {
		s := "selfguard enforce mode would: " + a.Summary
		if a.Undo != "" {
			s += " (undo: " + a.Undo + ")"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " ")
}

// resourceType maps selfguard's resource types to ASFF's: functions and
// their aliases and versions are AwsLambdaFunction; ASFF has no type for
// the others.
func resourceType(t finding.ResourceType) string {
	switch t {
	case finding.ResourceFunction, finding.ResourceAlias, finding.ResourceVersion:
		return "AwsLambdaFunction"
	}
	return "Other"
}

func resourceID(it Item, part string) string {
	if it.Finding.ARN != "" {
		return it.Finding.ARN
	}
	switch it.Finding.ResourceType {
	case finding.ResourceFunction, finding.ResourceAlias, finding.ResourceVersion:
		return fmt.Sprintf("arn:%s:lambda:%s:%s:function:%s", part, it.Region, it.Account, it.Finding.Resource)
	case finding.ResourceRepository:
		return fmt.Sprintf("arn:%s:codecommit:%s:%s:%s", part, it.Region, it.Account, it.Finding.Resource)
	}
	return it.Finding.Resource
}

// Partition returns the AWS partition a region belongs to.
func Partition(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	}
	return "aws"
}

// limit cuts s to at most n bytes without splitting a UTF-8 sequence.
func limit(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - len("...")
	for cut > 0 && (s[cut]&0xC0) == 0x80 {
		cut--
	}
	return s[:cut] + "..."
}

func guardrailOf(id finding.RuleID) string {
	r, _ := rules.Get(id)
	return string(r.Guardrail)
}

package report

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

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

// ASFFFinding is one finding in the AWS Security Finding Format, with the
// required top-level attributes and the optional ones selfguard fills.
type ASFFFinding struct {
	SchemaVersion string            `json:"SchemaVersion"`
	ID            string            `json:"Id"`
	ProductArn    string            `json:"ProductArn"`
	GeneratorID   string            `json:"GeneratorId"`
	AwsAccountID  string            `json:"AwsAccountId"`
	Types         []string          `json:"Types"`
	CreatedAt     string            `json:"CreatedAt"`
	UpdatedAt     string            `json:"UpdatedAt"`
	Severity      ASFFSeverity      `json:"Severity"`
	Title         string            `json:"Title"`
	Description   string            `json:"Description"`
	Resources     []ASFFResource    `json:"Resources"`
	Remediation   *ASFFRemediation  `json:"Remediation,omitempty"`
	ProductFields map[string]string `json:"ProductFields,omitempty"`
	RecordState   string            `json:"RecordState"`
}

// ASFFSeverity carries the label Security Hub ranks by and selfguard's own.
type ASFFSeverity struct {
	Label    string `json:"Label"`
	Original string `json:"Original,omitempty"`
}

// ASFFResource is the resource a finding is about.
type ASFFResource struct {
	Type      string `json:"Type"`
	ID        string `json:"Id"`
	Partition string `json:"Partition,omitempty"`
	Region    string `json:"Region"`
}

// ASFFRemediation says what to do about a finding.
type ASFFRemediation struct {
	Recommendation ASFFRecommendation `json:"Recommendation"`
}

// ASFFRecommendation is the remediation text.
type ASFFRecommendation struct {
	Text string `json:"Text"`
}

// ASFF converts the report's items. The result is what `aws securityhub
// batch-import-findings --findings` takes (at most 100 per call).
func (r *Report) ASFF() []ASFFFinding {
	at := r.GeneratedAt.UTC()
	if at.IsZero() {
		at = time.Now().UTC()
	}
	stamp := at.Format("2006-01-02T15:04:05.000Z")
	out := make([]ASFFFinding, 0, len(r.Items))
	for _, it := range r.Items {
		f := it.Finding
		part := Partition(it.Region)
		af := ASFFFinding{
			SchemaVersion: ASFFSchemaVersion,
			ID:            fmt.Sprintf("selfguard/%s/%s/%s", it.Account, it.Region, f.Key()),
			ProductArn:    fmt.Sprintf("arn:%s:securityhub:%s:%s:product/%s/default", part, it.Region, it.Account, it.Account),
			GeneratorID:   "selfguard/" + string(f.Rule),
			AwsAccountID:  it.Account,
			Types:         []string{asffTypeOf(f.Rule)},
			CreatedAt:     stamp,
			UpdatedAt:     stamp,
			Severity:      ASFFSeverity{Label: strings.ToUpper(string(f.Severity)), Original: string(f.Severity)},
			Title:         limit(f.Summary, maxTitle),
			Description:   limit(description(f), maxDescription),
			Resources: []ASFFResource{{
				Type: resourceType(f.ResourceType), ID: resourceID(it, part), Partition: part, Region: it.Region,
			}},
			ProductFields: map[string]string{
				"selfguard/rule":         string(f.Rule),
				"selfguard/guardrail":    guardrailOf(f.Rule),
				"selfguard/resourceType": string(f.ResourceType),
				"selfguard/resource":     f.Resource,
			},
			RecordState: "ACTIVE",
		}
		if af.Title == "" {
			af.Title = string(f.Rule)
		}
		if text := remediation(it.Actions); text != "" {
			af.Remediation = &ASFFRemediation{Recommendation: ASFFRecommendation{Text: limit(text, maxRemediation)}}
		}
		out = append(out, af)
	}
	return out
}

// WriteASFF writes the findings as a JSON array in ASFF.
func (r *Report) WriteASFF(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r.ASFF()); err != nil {
		return fmt.Errorf("write asff report: %w", err)
	}
	return nil
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

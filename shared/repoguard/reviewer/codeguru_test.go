package reviewer

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/selfguard/selfguard/shared/repoguard/snapshot"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codegurureviewer"
	cgtypes "github.com/aws/aws-sdk-go-v2/service/codegurureviewer/types"
	"github.com/aws/smithy-go"
)

// fakeCodeGuru records calls and answers from fixed states.
type fakeCodeGuru struct {
	listed    []cgtypes.RepositoryAssociationState
	associate error
	// associatedMeanwhile makes AssociateRepository answer ConflictException
	// and later listings show an Associated one, as when someone else
	// associated the repository after the caller read its status.
	associatedMeanwhile bool
	afterAssoc          []cgtypes.RepositoryAssociationState // one per describe call; the last repeats
	calls               []string
}

func (f *fakeCodeGuru) ListRepositoryAssociations(_ context.Context, in *codegurureviewer.ListRepositoryAssociationsInput, _ ...func(*codegurureviewer.Options)) (*codegurureviewer.ListRepositoryAssociationsOutput, error) {
	f.calls = append(f.calls, "List")
	out := &codegurureviewer.ListRepositoryAssociationsOutput{}
	for i, st := range f.listed {
		out.RepositoryAssociationSummaries = append(out.RepositoryAssociationSummaries, cgtypes.RepositoryAssociationSummary{
			Name: aws.String(in.Names[0]), ProviderType: cgtypes.ProviderTypeCodeCommit, State: st,
			AssociationArn: aws.String("arn:aws:codeguru-reviewer:eu-west-1:111122223333:association:" + string(rune('a'+i))),
		})
	}
	return out, nil
}

func (f *fakeCodeGuru) DescribeRepositoryAssociation(context.Context, *codegurureviewer.DescribeRepositoryAssociationInput, ...func(*codegurureviewer.Options)) (*codegurureviewer.DescribeRepositoryAssociationOutput, error) {
	f.calls = append(f.calls, "Describe")
	st := f.afterAssoc[0]
	if len(f.afterAssoc) > 1 {
		f.afterAssoc = f.afterAssoc[1:]
	}
	return &codegurureviewer.DescribeRepositoryAssociationOutput{RepositoryAssociation: &cgtypes.RepositoryAssociation{State: st}}, nil
}

func (f *fakeCodeGuru) AssociateRepository(context.Context, *codegurureviewer.AssociateRepositoryInput, ...func(*codegurureviewer.Options)) (*codegurureviewer.AssociateRepositoryOutput, error) {
	f.calls = append(f.calls, "Associate")
	if f.associatedMeanwhile {
		f.listed = append(f.listed, cgtypes.RepositoryAssociationStateAssociated)
		return nil, &cgtypes.ConflictException{Message: aws.String("already associated")}
	}
	if f.associate != nil {
		return nil, f.associate
	}
	return &codegurureviewer.AssociateRepositoryOutput{RepositoryAssociation: &cgtypes.RepositoryAssociation{
		AssociationArn: aws.String("arn:aws:codeguru-reviewer:eu-west-1:111122223333:association:new"),
		State:          cgtypes.RepositoryAssociationStateAssociating,
	}}, nil
}

func TestCodeGuruStatusPrefersTheLiveAssociation(t *testing.T) {
	tests := []struct {
		name   string
		listed []cgtypes.RepositoryAssociationState
		want   snapshot.ReviewState
	}{
		{"no association", nil, snapshot.StateNone},
		{"an old removed one and a live one", []cgtypes.RepositoryAssociationState{"Disassociated", "Associated"}, snapshot.StateActive},
		{"a removed one outranks a later failure", []cgtypes.RepositoryAssociationState{"Disassociated", "Failed"}, snapshot.StateRemoved},
		{"associating is pending", []cgtypes.RepositoryAssociationState{"Associating"}, snapshot.StatePending},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, err := NewCodeGuru(&fakeCodeGuru{listed: tt.listed}).Status(context.Background(), "payments")
			if err != nil || st.State != tt.want || st.Undo == "" {
				t.Errorf("snapshot.ReviewStatus = %+v, %v; want %s with an undo", st, err, tt.want)
			}
		})
	}
}

func TestCodeGuruEnable(t *testing.T) {
	refused := &smithy.GenericAPIError{Code: "AccessDeniedException", Message: "no new associations"}
	tests := []struct {
		name      string
		fake      *fakeCodeGuru
		want      snapshot.ReviewState
		wantErr   error
		wantCalls string
	}{
		{"already associated costs no write", &fakeCodeGuru{listed: []cgtypes.RepositoryAssociationState{"Associated"}},
			snapshot.StateActive, nil, "List"},
		{"a refusal is not retried", &fakeCodeGuru{associate: refused}, snapshot.StateNone, ErrRefused, "List,Associate"},
		{"associated since the caller's read: the conflict is answered with the status now", &fakeCodeGuru{associatedMeanwhile: true},
			snapshot.StateActive, nil, "List,Associate,List"},
		{"an association that settles is active", &fakeCodeGuru{afterAssoc: []cgtypes.RepositoryAssociationState{"Associating", "Associated"}},
			snapshot.StateActive, nil, "List,Associate,Describe,Describe"},
		{"an association still associating after the budget is reported pending",
			&fakeCodeGuru{afterAssoc: []cgtypes.RepositoryAssociationState{"Associating"}},
			snapshot.StatePending, nil, "List,Associate,Describe,Describe,Describe"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var slept time.Duration
			c := &CodeGuru{API: tt.fake, Settle: 1500 * time.Millisecond,
				Sleep: func(_ context.Context, d time.Duration) error { slept += d; return nil }}
			// As the guard does: the status from its re-read, then Enable on it
			// (the first "List" of wantCalls), which reads it not again.
			cur, err := c.Status(context.Background(), "payments")
			if err != nil {
				t.Fatal(err)
			}
			st, err := c.Enable(context.Background(), "payments", cur)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
				t.Fatalf("Enable error = %v, want %v", err, tt.wantErr)
			}
			if st.State != tt.want {
				t.Errorf("state = %s, want %s", st.State, tt.want)
			}
			if got := strings.Join(tt.fake.calls, ","); got != tt.wantCalls {
				t.Errorf("calls = %s, want %s", got, tt.wantCalls)
			}
			if slept > c.Settle {
				t.Errorf("waited %s, more than the %s budget", slept, c.Settle)
			}
			if err != nil && (!strings.Contains(err.Error(), "Amazon Inspector") || !strings.Contains(err.Error(), "Amazon Q Developer")) {
				t.Errorf("refusal %q does not name the replacements", err)
			}
		})
	}
}

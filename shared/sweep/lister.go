package sweep

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codecommit"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/selfguard/selfguard/shared/lambdaguard/snapshot"
	"github.com/selfguard/selfguard/shared/settings"
)

// LambdaLister is the part of the Lambda client the lister uses: listings
// only, all on the shared control-plane bucket, 50 items a call.
type LambdaLister interface {
	ListFunctions(ctx context.Context, in *lambda.ListFunctionsInput, optFns ...func(*lambda.Options)) (*lambda.ListFunctionsOutput, error)
	ListCodeSigningConfigs(ctx context.Context, in *lambda.ListCodeSigningConfigsInput, optFns ...func(*lambda.Options)) (*lambda.ListCodeSigningConfigsOutput, error)
	ListFunctionsByCodeSigningConfig(ctx context.Context, in *lambda.ListFunctionsByCodeSigningConfigInput, optFns ...func(*lambda.Options)) (*lambda.ListFunctionsByCodeSigningConfigOutput, error)
}

// RepositoryLister is the part of the CodeCommit client the lister uses.
type RepositoryLister interface {
	ListRepositories(ctx context.Context, in *codecommit.ListRepositoriesInput, optFns ...func(*codecommit.Options)) (*codecommit.ListRepositoriesOutput, error)
}

// Queue takes batches for the workers: SQS in the account, a channel in
// `selfguard audit`.
type Queue interface {
	Send(ctx context.Context, b Batch) error
}

// ListerPermissions are the IAM actions the lister needs (besides the
// queue's sqs:SendMessage and the ledger's).
var ListerPermissions = []string{
	"lambda:ListFunctions",
	"lambda:ListCodeSigningConfigs",
	"lambda:ListFunctionsByCodeSigningConfig",
	"codecommit:ListRepositories",
}

// Lister walks the account's functions and repositories and sends them to
// the workers in batches. Its memory holds one page and one batch, plus
// the function-to-CSC map (one entry per function that has a CSC).
type Lister struct {
	Lambda LambdaLister
	// Repositories may be nil: then repositories are not swept.
	Repositories RepositoryLister
	Settings     settings.Settings
	Queue        Queue
	// SkipFunctions leaves functions out (audit --repositories-only).
	SkipFunctions bool
	// BatchFunctions and BatchRepositories size the batches (defaults
	// DefaultBatchFunctions and DefaultBatchRepositories).
	BatchFunctions    int
	BatchRepositories int
	// OnFunction, when set, is told of every function listed (progress).
	OnFunction func(name string)

	// Exposure may be nil: then layers and event source mappings are not
	// listed for the exposure rules.
	Exposure ExposureLister
}

// ListStats says what one listing sent.
type ListStats struct {
	Batches      int `json:"batches"`
	Functions    int `json:"functions"`
	Repositories int `json:"repositories"`
	// Exempt counts functions and repositories skipped by configuration.
	Exempt int `json:"exempt"`
	// CodeSigningConfigs counts the CSCs listed.
	CodeSigningConfigs int `json:"codeSigningConfigs"`
	// Layers (versions) and Mappings count what the exposure listing sent.
	Layers   int `json:"layers,omitempty"`
	Mappings int `json:"mappings,omitempty"`
}

// List sends every function and repository of the region to the queue,
// as batches numbered from 0, and returns how many it sent.
func (l *Lister) List(ctx context.Context, run string) (ListStats, error) {
	var st ListStats
	if !l.SkipFunctions && l.Lambda != nil {
		if err := l.listFunctions(ctx, run, &st); err != nil {
			return st, err
		}
	}
	if !l.SkipFunctions && l.Exposure != nil {
		if err := l.listExposure(ctx, run, &st); err != nil {
			return st, err
		}
	}
	if l.Repositories != nil {
		if err := l.listRepositories(ctx, run, &st); err != nil {
			return st, err
		}
	}
	return st, nil
}

// cscs maps each unqualified function ARN to its code signing config,
// from ListCodeSigningConfigs and ListFunctionsByCodeSigningConfig: two
// listings per CSC instead of one GetFunctionCodeSigningConfig per function.
func (l *Lister) cscs(ctx context.Context, st *ListStats) (map[string]*CSC, error) {
	out := map[string]*CSC{}
	p := lambda.NewListCodeSigningConfigsPaginator(l.Lambda, &lambda.ListCodeSigningConfigsInput{MaxItems: aws.Int32(50)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list code signing configs: %w", err)
		}
		for _, c := range page.CodeSigningConfigs {
			st.CodeSigningConfigs++
			csc := &CSC{ARN: aws.ToString(c.CodeSigningConfigArn)}
			if c.AllowedPublishers != nil {
				csc.AllowedPublishers = c.AllowedPublishers.SigningProfileVersionArns
			}
			if c.CodeSigningPolicies != nil {
				csc.Policy = string(c.CodeSigningPolicies.UntrustedArtifactOnDeployment)
			}
			fp := lambda.NewListFunctionsByCodeSigningConfigPaginator(l.Lambda, &lambda.ListFunctionsByCodeSigningConfigInput{
				CodeSigningConfigArn: c.CodeSigningConfigArn, MaxItems: aws.Int32(50),
			})
			for fp.HasMorePages() {
				fpage, err := fp.NextPage(ctx)
				if err != nil {
					return nil, fmt.Errorf("list functions by code signing config %s: %w", csc.ARN, err)
				}
				for _, arn := range fpage.FunctionArns {
					out[unqualified(arn)] = csc
				}
			}
		}
	}
	return out, nil
}

func (l *Lister) listFunctions(ctx context.Context, run string, st *ListStats) error {
	cscs, err := l.cscs(ctx, st)
	if err != nil {
		return err
	}
	size := l.BatchFunctions
	if size <= 0 {
		size = DefaultBatchFunctions
	}
	b := &functionBatcher{queue: l.Queue, size: size, st: st, batch: Batch{Run: run, Index: st.Batches}}
	var cur *Function
	done := func() error {
		if cur == nil {
			return nil
		}
		f := *cur
		cur = nil
		if l.Settings.FunctionExempt(f.Name) && !f.borrowsGuardRole(l.Settings) {
			st.Exempt++
			return nil
		}
		f.CSC = cscs[f.ARN]
		st.Functions++
		if l.OnFunction != nil {
			l.OnFunction(f.Name)
		}
		return b.add(ctx, f)
	}
	// With FunctionVersion=ALL the listing gives $LATEST and every
	// published version, one function's entries after another; a function
	// is complete when the next name begins.
	p := lambda.NewListFunctionsPaginator(l.Lambda, &lambda.ListFunctionsInput{
		FunctionVersion: types.FunctionVersionAll, MaxItems: aws.Int32(50),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list functions: %w", err)
		}
		for _, fc := range page.Functions {
			name := aws.ToString(fc.FunctionName)
			if cur != nil && cur.Name != name {
				if err := done(); err != nil {
					return err
				}
			}
			if cur == nil {
				cur = &Function{Name: name, ARN: unqualified(aws.ToString(fc.FunctionArn))}
			}
			cur.add(versionOf(fc))
		}
	}
	if err := done(); err != nil {
		return err
	}
	return b.flush(ctx)
}

// add files one entry of the listing under the function.
func (f *Function) add(v Version) {
	if v.Version == snapshot.Latest {
		f.Latest = v
		return
	}
	f.Versions = append(f.Versions, v)
}

// functionBatcher packs functions into batches of at most size functions
// and MaxMessageBytes, sending each when full.
type functionBatcher struct {
	queue Queue
	size  int
	st    *ListStats
	batch Batch
	bytes int
}

func (b *functionBatcher) add(ctx context.Context, f Function) error {
	// The function's exact encoded size: signed layers make a version
	// several times larger than its bare fields, so an estimate per
	// version let batches of many-versioned functions overflow.
	raw, err := json.Marshal(f)
	if err != nil {
		return fmt.Errorf("encode function %s: %w", f.Name, err)
	}
	n := len(raw) + 1 // and a comma
	if batchOverhead+n > MaxMessageBytes {
		return fmt.Errorf("function %s: its listing alone is %d bytes, over the %d-byte message limit", f.Name, len(raw), MaxMessageBytes)
	}
	if len(b.batch.Functions) > 0 && (len(b.batch.Functions) >= b.size || batchOverhead+b.bytes+n > MaxMessageBytes) {
		if err := b.flush(ctx); err != nil {
			return err
		}
	}
	b.batch.Functions = append(b.batch.Functions, f)
	b.bytes += n
	return nil
}

func (b *functionBatcher) flush(ctx context.Context) error {
	if len(b.batch.Functions) == 0 {
		return nil
	}
	if err := b.queue.Send(ctx, b.batch); err != nil {
		return fmt.Errorf("send batch %d: %w", b.batch.Index, err)
	}
	b.st.Batches++
	b.batch = Batch{Run: b.batch.Run, Index: b.st.Batches}
	b.bytes = 0
	return nil
}

func (l *Lister) listRepositories(ctx context.Context, run string, st *ListStats) error {
	size := l.BatchRepositories
	if size <= 0 {
		size = DefaultBatchRepositories
	}
	batch := Batch{Run: run, Index: st.Batches}
	flush := func() error {
		if len(batch.Repositories) == 0 {
			return nil
		}
		if err := l.Queue.Send(ctx, batch); err != nil {
			return fmt.Errorf("send batch %d: %w", batch.Index, err)
		}
		st.Batches++
		batch = Batch{Run: run, Index: st.Batches}
		return nil
	}
	p := codecommit.NewListRepositoriesPaginator(l.Repositories, &codecommit.ListRepositoriesInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list repositories: %w", err)
		}
		for _, r := range page.Repositories {
			name := aws.ToString(r.RepositoryName)
			if l.Settings.RepositoryExempt(name) {
				st.Exempt++
				continue
			}
			st.Repositories++
			batch.Repositories = append(batch.Repositories, name)
			if len(batch.Repositories) >= size {
				if err := flush(); err != nil {
					return err
				}
			}
		}
	}
	return flush()
}

// batchOverhead bounds a batch's encoding beyond its functions: the run
// id, index and JSON punctuation.
const batchOverhead = 1 << 10

// unqualified drops a version or alias qualifier from a function ARN:
// arn:aws:lambda:r:a:function:name[:qualifier] has 7 fields unqualified.
func unqualified(arn string) string {
	n := 0
	for i := 0; i < len(arn); i++ {
		if arn[i] == ':' {
			n++
			if n == 7 {
				return arn[:i]
			}
		}
	}
	return arn
}

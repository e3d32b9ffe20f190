package observe

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/selfguard/selfguard/shared/lambdaarn"
	"github.com/selfguard/selfguard/shared/lambdaguard/snapshot"
)

// Glance reads one version of a function with a single GetFunction, on its
// own quota and nothing from the shared bucket: $LATEST, or with a
// qualifier (an alias) the version it names. The snapshot's Latest holds
// that version's code, and only that is known: no code signing config, no
// alias routing, no version list. It is enough to dismiss an event whose
// subject shows trusted; anything else is read in full.
func (r *Reader) Glance(ctx context.Context, name, qualifier string) (snapshot.Snapshot, error) {
	s := snapshot.Snapshot{Name: snapshot.FunctionName(name)}
	if qualifier == "" {
		// The very read of $LATEST a full read makes (ReadSeen reuses it).
		return s, r.readLatest(ctx, &s)
	}
	in := &lambda.GetFunctionInput{FunctionName: aws.String(s.Name), Qualifier: aws.String(qualifier)}
	out, err := r.api.GetFunction(ctx, in)
	if err != nil {
		return s, r.wrap(s.Name, "get function", err)
	}
	if out.Configuration == nil {
		return s, fmt.Errorf("get function %s: response without configuration", s.Name)
	}
	s.Latest = CodeOf(*out.Configuration)
	s.LatestRead = true
	s.ARN = aws.ToString(out.Configuration.FunctionArn)
	s.Account = lambdaarn.Account(s.ARN)
	s.PackageType = s.Latest.PackageType
	return s, nil
}

package adaptive

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
)

// MaxAttempts bounds the SDK's attempts per call.
const MaxAttempts = 5

// Retryer returns the SDK's adaptive retry mode with 429
// TooManyRequestsException retried and MaxAttempts attempts.
func Retryer() aws.Retryer {
	return retry.NewAdaptiveMode(func(o *retry.AdaptiveModeOptions) {
		o.StandardOptions = append(o.StandardOptions, func(so *retry.StandardOptions) {
			so.MaxAttempts = MaxAttempts
			so.Retryables = append(so.Retryables, retry.RetryableErrorCode{
				Codes: map[string]struct{}{"TooManyRequestsException": {}},
			})
		})
	})
}

package testbed

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/signer"
	"github.com/aws/smithy-go/middleware"

	"github.com/selfguard/selfguard/infra/emulator/signeremu"
)

// Signer returns an AWS Signer client acting as actor. GetRevocationStatus's
// "data-" host prefix is turned off, as the emulator's one address serves it.
func (b *Bed) Signer(actor string) *signer.Client {
	return signer.NewFromConfig(b.config(actor), func(o *signer.Options) {
		o.BaseEndpoint = aws.String(b.URL)
		o.APIOptions = append(o.APIOptions, func(s *middleware.Stack) error { return signeremu.NoEndpointHostPrefix(s) })
	})
}

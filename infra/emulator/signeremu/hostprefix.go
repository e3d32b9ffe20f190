package signeremu

import (
	"context"

	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// NoEndpointHostPrefix is an API option for signer clients pointed at the
// emulator. GetRevocationStatus is served by AWS on a host of its own: the
// SDK prefixes the endpoint's host with "data-", which turns a loopback
// address into a name that does not resolve. With this option the call goes
// to the endpoint as given:
//
//	signer.New(signer.Options{..., APIOptions: []func(*middleware.Stack) error{signeremu.NoEndpointHostPrefix}})
func NoEndpointHostPrefix(stack *middleware.Stack) error {
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("selfguardNoEndpointHostPrefix",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (
			middleware.InitializeOutput, middleware.Metadata, error,
		) {
			return next.HandleInitialize(smithyhttp.DisableEndpointHostPrefix(ctx, true), in)
		}), middleware.Before)
}

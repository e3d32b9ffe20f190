package deps

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/signer"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// EnvEndpointURLSigner points the AWS Signer client at another endpoint
// (the local test bed's emulator); the SDK reads it as it reads the other
// AWS_ENDPOINT_URL_<SERVICE> variables.
const EnvEndpointURLSigner = "AWS_ENDPOINT_URL_SIGNER"

// Signer returns an AWS Signer client of cfg (AWSConfig's, or the CLI's)
// with SignerOptions.
func Signer(cfg aws.Config, getenv func(string) string) *signer.Client {
	return signer.NewFromConfig(cfg, SignerOptions(getenv))
}

// SignerOptions fits a Signer client to a configured endpoint. AWS serves
// GetRevocationStatus on a host of its own, which the SDK reaches by
// prefixing the endpoint's host with "data-"; a configured endpoint
// (AWS_ENDPOINT_URL_SIGNER or AWS_ENDPOINT_URL, unless
// AWS_IGNORE_CONFIGURED_ENDPOINT_URLS) is one address serving every
// operation, whose prefixed name would not resolve, so there the prefix is
// turned off. With no endpoint configured, as in AWS, it stays.
func SignerOptions(getenv func(string) string) func(*signer.Options) {
	return func(o *signer.Options) {
		if !configuredSigner(getenv) {
			return
		}
		o.APIOptions = append(o.APIOptions, noEndpointHostPrefix)
	}
}

func configuredSigner(getenv func(string) string) bool {
	if (envSource{getenv: getenv}).ignoreEndpoints() {
		return false
	}
	return getenv(EnvEndpointURLSigner) != "" || getenv(EnvEndpointURL) != ""
}

func noEndpointHostPrefix(stack *middleware.Stack) error {
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("SelfguardNoEndpointHostPrefix",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (
			middleware.InitializeOutput, middleware.Metadata, error,
		) {
			return next.HandleInitialize(smithyhttp.DisableEndpointHostPrefix(ctx, true), in)
		}), middleware.Before)
}

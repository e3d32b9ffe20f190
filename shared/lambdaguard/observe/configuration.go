package observe

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/selfguard/selfguard/shared/lambdaguard/snapshot"
)

// configurationOf copies what decides where the runtime enters the code
// and what else it loads: handler, runtime and environment. CloudTrail
// omits environment values, so this read is the only place the guard
// learns them; Lambda shows them only to a caller that may decrypt them
// (kms:Decrypt on a customer managed key, through Lambda), and otherwise
// answers with Environment.Error.
func configurationOf(c *snapshot.Code, fc types.FunctionConfiguration) {
	c.Handler = aws.ToString(fc.Handler)
	c.Runtime = string(fc.Runtime)
	c.KMSKeyARN = aws.ToString(fc.KMSKeyArn)
	if fc.Environment == nil {
		return
	}
	if e := fc.Environment.Error; e != nil {
		c.EnvironmentError = aws.ToString(e.ErrorCode)
		if m := aws.ToString(e.Message); m != "" {
			c.EnvironmentError += ": " + m
		}
		if c.EnvironmentError == "" {
			c.EnvironmentError = "unreadable"
		}
	}
	if len(fc.Environment.Variables) > 0 {
		c.Environment = make(map[string]string, len(fc.Environment.Variables))
		for k, v := range fc.Environment.Variables {
			c.Environment[k] = v
		}
	}
}

// PolicyOf is the policy a GetCodeSigningConfig answer gives.
func PolicyOf(arn string, out *lambda.GetCodeSigningConfigOutput) *snapshot.CodeSigningConfig {
	var cfg *types.CodeSigningConfig
	if out != nil {
		cfg = out.CodeSigningConfig
	}
	return cscOf(arn, cfg)
}

package readonly

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/smithy-go/middleware"
)

// TestWritesAreRefusedBeforeTheyAreSent: the endpoint does not exist, so a
// call that gets past the option fails on the network, and one refused
// fails with ErrWrite.
func TestWritesAreRefusedBeforeTheyAreSent(t *testing.T) {
	tests := []struct {
		name    string
		option  func(*middleware.Stack) error
		call    func(*lambda.Client) error
		refused bool
	}{
		{"a read passes", Reads, getFunction, false},
		{"a write is refused", Reads, updateCode, true},
		{"a named call passes", Allow("UpdateFunctionCode"), updateCode, false},
		{"an unnamed read is refused", Allow("UpdateFunctionCode"), getFunction, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := lambda.NewFromConfig(aws.Config{
				Region: "eu-west-1", BaseEndpoint: aws.String("http://127.0.0.1:1"), RetryMaxAttempts: 1,
				Credentials: credentials.NewStaticCredentialsProvider("a", "b", ""),
			}, func(o *lambda.Options) { o.APIOptions = append(o.APIOptions, tt.option) })
			err := tt.call(c)
			if got := errors.Is(err, ErrWrite); got != tt.refused {
				t.Errorf("refused %v, want %v: %v", got, tt.refused, err)
			}
		})
	}
}

func getFunction(c *lambda.Client) error {
	_, err := c.GetFunction(context.Background(), &lambda.GetFunctionInput{FunctionName: aws.String("pay")})
	return err
}

func updateCode(c *lambda.Client) error {
	_, err := c.UpdateFunctionCode(context.Background(), &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("pay"), ZipFile: []byte("x")})
	return err
}

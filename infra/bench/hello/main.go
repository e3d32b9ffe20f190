// Command hello is the cold-start baseline: the smallest aws-lambda-go
// function, built exactly as the guards are (make build-* flags).
package main

import (
	"context"
	"encoding/json"

	"github.com/aws/aws-lambda-go/lambda"
)

func handle(_ context.Context, _ json.RawMessage) (string, error) { return "hello", nil }

func main() { lambda.Start(handle) }

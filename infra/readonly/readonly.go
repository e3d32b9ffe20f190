// Package readonly keeps the CLI's AWS clients from writing: SDK stack
// options that refuse, before anything is sent, every operation not known
// to only read. The audit roles are read-only already; this holds when a
// user runs audit or evaluate with broader credentials.
package readonly

import (
	"context"
	"errors"
	"fmt"
	"strings"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/smithy-go/middleware"
)

// ErrWrite is what a refused call answers.
var ErrWrite = errors.New("selfguard audit is read-only")

// readPrefixes are the operation name prefixes that only read.
var readPrefixes = []string{"Get", "List", "Describe", "BatchGet"}

// Reads is an SDK stack option that refuses every operation whose name
// does not say it only reads.
func Reads(stack *middleware.Stack) error {
	return refuse(stack, "SelfguardReadOnly", func(op string) bool {
		for _, p := range readPrefixes {
			if strings.HasPrefix(op, p) {
				return true
			}
		}
		return false
	})
}

// Allow returns an SDK stack option that refuses every operation but the
// named ones.
func Allow(ops ...string) func(*middleware.Stack) error {
	return func(stack *middleware.Stack) error {
		return refuse(stack, "SelfguardAllow", func(op string) bool {
			for _, o := range ops {
				if op == o {
					return true
				}
			}
			return false
		})
	}
}

func refuse(stack *middleware.Stack, id string, allowed func(op string) bool) error {
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc(id,
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			if op := awsmiddleware.GetOperationName(ctx); !allowed(op) {
				return middleware.InitializeOutput{}, middleware.Metadata{}, fmt.Errorf("%s: %w", op, ErrWrite)
			}
			return next.HandleInitialize(ctx, in)
		}), middleware.After)
}

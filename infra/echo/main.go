package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	lambdaapi "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/rs/zerolog"

	"github.com/selfguard/selfguard/shared/logging"
)

// functionGetter is the part of the Lambda API the handler calls.
type functionGetter interface {
	GetFunction(ctx context.Context, in *lambdaapi.GetFunctionInput, optFns ...func(*lambdaapi.Options)) (*lambdaapi.GetFunctionOutput, error)
}

// Handler logs events and looks up the function each one names.
type Handler struct {
	Lambda functionGetter
	Log    zerolog.Logger
}

// Handle logs the event, then reads the named function back from the Lambda API.
func (h *Handler) Handle(ctx context.Context, e events.EventBridgeEvent) error {
	var detail struct {
		EventName         string `json:"eventName"`
		RequestParameters struct {
			FunctionName string `json:"functionName"`
		} `json:"requestParameters"`
	}
	if len(e.Detail) > 0 {
		if err := json.Unmarshal(e.Detail, &detail); err != nil {
			return fmt.Errorf("decode detail: %w", err)
		}
	}
	fn := detail.RequestParameters.FunctionName
	log := h.Log.With().Str(logging.FieldEventID, e.ID).Str(logging.FieldEventName, detail.EventName).
		Str(logging.FieldResource, fn).Logger()
	log.Info().Str("source", e.Source).Str("detail_type", e.DetailType).Msg("event received")
	if fn == "" {
		return nil
	}
	out, err := h.Lambda.GetFunction(ctx, &lambdaapi.GetFunctionInput{FunctionName: aws.String(fn)})
	if err != nil {
		log.Error().Err(err).Msg("get function failed")
		return fmt.Errorf("get function %s: %w", fn, err)
	}
	c := out.Configuration
	log.Info().Str("function_arn", aws.ToString(c.FunctionArn)).Str("version", aws.ToString(c.Version)).
		Str("code_sha256", aws.ToString(c.CodeSha256)).Str("state", string(c.State)).
		Str("last_update_status", string(c.LastUpdateStatus)).
		Str("signing_profile_version_arn", aws.ToString(c.SigningProfileVersionArn)).
		Msg("function seen")
	return nil
}

func main() {
	log := logging.FromEnv(os.Getenv)
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		log.Fatal().Err(err).Msg("load AWS config")
	}
	h := &Handler{Lambda: lambdaapi.NewFromConfig(cfg), Log: log}
	lambda.Start(h.Handle)
}

// Package eventbus is a local Amazon EventBridge default bus for the test bed.
// It reads the rules of a SAM/CloudFormation template (SAM functions'
// EventBridgeRule events and AWS::Events::Rule resources, with CloudFormation
// intrinsic functions resolved against parameters and pseudo parameters),
// matches published events with infra/eventpattern, and delivers each match
// asynchronously the way EventBridge and Lambda's asynchronous invocation do:
// retries after a delay, a maximum event age, a dead-letter list, optional
// duplicate delivery, and input transformers for topic targets. It can be fed
// from the emulator's CloudTrail trail, in process or over its admin API.
package eventbus

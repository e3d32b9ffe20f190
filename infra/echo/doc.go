// Command echo is the test bed's first end-to-end Lambda function. It logs
// the EventBridge event it receives as one JSON line, then calls the Lambda
// API back (GetFunction of the function the CloudTrail record names) through
// the SDK's default configuration, so AWS_ENDPOINT_URL_LAMBDA can point it at
// the local emulator, and logs what it saw. A failing call fails the
// invocation, which shows how Lambda reports handler errors.
package main

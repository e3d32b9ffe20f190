// Package awsproto is the AWS side of the selfguard emulator that every
// emulated service shares: who is calling (the access key in the SigV4
// Authorization header mapped to a CloudTrail identity), AWS error bodies in
// the REST-JSON and JSON 1.1 protocols, the CloudTrail log every write is
// recorded in (as the EventBridge event AWS would deliver), the emulator's
// clock, per-operation fault injection and token-bucket quotas.
package awsproto

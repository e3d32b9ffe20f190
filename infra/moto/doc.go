// Package moto starts and stops moto_server, the open-source AWS emulator,
// on a free loopback port. selfguard's local account uses it for the services
// it emulates well (SNS, SQS, DynamoDB, STS, IAM).
package moto

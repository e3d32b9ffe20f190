// Package decide is the exposure guard's decision: from a function's
// policies, URLs and recursion setting, a layer version's policy or an
// event source mapping, and the settings, it derives findings and the
// reversible actions that answer them. It does no I/O and reads no clock.
//
// # Which conditions limit a grant
//
// A statement that names everyone ("*", {"AWS":"*"}, NotPrincipal) or a
// service principal (any account's bucket, topic or API of that service)
// is public unless a condition pins it to a party. These conditions do,
// with a positive operator (StringEquals, StringEqualsIgnoreCase,
// StringLike, ArnEquals, ArnLike, or their ForAnyValue: forms) and fixed
// values (no wildcard or policy variable where the party is named):
//
//   - aws:SourceAccount, aws:PrincipalAccount: the account;
//   - aws:SourceArn, aws:PrincipalArn: the account field of the ARN. An ARN
//     without one (an S3 bucket's) pins nothing: bucket names are global
//     and a deleted bucket's name can be taken by anyone, which is why AWS
//     Config's lambda-function-public-access-prohibited also wants
//     AWS:SourceAccount for S3;
//   - aws:PrincipalOrgID, aws:SourceOrgID, aws:PrincipalOrgPaths,
//     aws:SourceOrgPaths: the organization;
//   - lambda:EventSourceToken: one Alexa skill, whose ID only its owner's
//     skill carries.
//
// These do not: lambda:FunctionUrlAuthType (it says how the function URL
// authenticates, not who calls: with NONE it is anyone, with AWS_IAM any
// signed principal of any account), lambda:InvokedViaFunctionUrl (the
// path, not the caller), aws:SecureTransport, aws:SourceIp, aws:UserAgent,
// dates, negated operators (StringNotEquals ...), ...IfExists and
// ForAllValues: forms (both hold when the key is absent), Null, and any
// key this package does not know. Case does not matter in keys
// (AWS:SourceArn is aws:SourceArn).
//
// A limited statement is trusted when one of its limiting keys names only
// trusted parties (the function's own account, the configured trusted
// accounts, the configured organization): keys are ANDed, so one trusted
// key bounds the grant. Otherwise it grants the parties its keys name, and
// those that are not trusted are reported.
//
// A public statement that only takes effect through a function URL with
// AuthType NONE (lambda:FunctionUrlAuthType NONE, or
// lambda:InvokedViaFunctionUrl true) is the URL's exposure: it raises the
// public-url finding of the URL of the same function or alias to
// critical, and is inert (no finding) while that URL requires IAM or does
// not exist; requiring IAM on the URL answers both.
package decide

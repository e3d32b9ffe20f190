package cloudtrail

// AWS Signer, whose revocations the Lambda guard reacts to: Lambda checks
// a signature only on deploy, so a revocation after it changes nothing
// Lambda runs until a guard looks.
const (
	SourceSigner    = "signer.amazonaws.com"
	BusSourceSigner = "aws.signer"

	RevokeSignature      Operation = "RevokeSignature"
	RevokeSigningProfile Operation = "RevokeSigningProfile"
)

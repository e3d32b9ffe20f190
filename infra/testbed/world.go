package testbed

import (
	"github.com/selfguard/selfguard/infra/emulator"
	"github.com/selfguard/selfguard/infra/emulator/lambdaemu"
	"github.com/selfguard/selfguard/infra/emulator/repoemu"
)

// Names in the demo world, shared by the demo's scenarios and the tests.
const (
	ReleaseProfile    = "release"
	ReleaseProfileARN = "arn:aws:signer:" + Region + ":" + Account + ":/signing-profiles/" + ReleaseProfile
	RogueProfile      = "rogue"
	EnforceCSCID      = "csc-releaseenforce001"
	EnforceCSCARN     = "arn:aws:lambda:" + Region + ":" + Account + ":code-signing-config:" + EnforceCSCID
	WarnCSCID         = "csc-releasewarnonly01"
	UnsignedLayer     = "shared-utils"
	SignedLayer       = "shared-utils-signed"
	// PartnerAccount publishes an unsigned layer: a layer of another account.
	PartnerAccount  = "444455556666"
	PartnerLayerARN = "arn:aws:lambda:" + Region + ":" + PartnerAccount + ":layer:partner-tools:1"

	Payments = "payments-api" // signed, Warn CSC (AWS's default policy): unsigned code deploys
	Orders   = "orders-api"   // signed, Enforce CSC
	Reports  = "reports-job"  // signed, Enforce CSC, has layers
)

// GuardParameters are the template parameters the demo and the tests deploy
// with: the release profile is trusted and the Enforce CSC is the one to
// attach.
func GuardParameters(mode string) map[string]string {
	return map[string]string{
		"Mode":                      mode,
		"TrustedSigningProfileArns": ReleaseProfileARN,
		"CodeSigningConfigArn":      EnforceCSCARN,
		"ExemptFunctions":           "sandbox-*",
	}
}

// DemoWorld is a small account: three signed functions released through a
// "prod" alias to version 1, code signing configs, layers, and no
// repositories yet.
func DemoWorld() *emulator.World {
	signed := lambdaemu.CodeWorld{Files: map[string]string{"bootstrap": "#!/bin/sh\necho release 1\n"}, SignedBy: ReleaseProfile}
	fn := func(name, csc string, layers []string) lambdaemu.FunctionWorld {
		return lambdaemu.FunctionWorld{
			Name: name, CodeWorld: signed, CodeSigningConfig: csc, Layers: layers,
			Versions: []lambdaemu.VersionWorld{{CodeWorld: signed, Description: "release 1"}},
			Aliases:  []lambdaemu.AliasWorld{{Name: "prod", FunctionVersion: "1"}},
		}
	}
	delay := 200
	return &emulator.World{
		Lambda: lambdaemu.World{
			UpdateDelayMs: &delay,
			SigningProfiles: []lambdaemu.ProfileWorld{
				{Name: ReleaseProfile, Version: "rel0000001"},
				{Name: RogueProfile, Version: "rog0000001"},
			},
			CodeSigningConfigs: []lambdaemu.CSCWorld{
				{ID: EnforceCSCID, Description: "release builds only", AllowedPublishers: []string{ReleaseProfile}, UntrustedArtifactOnDeployment: "Enforce"},
				{ID: WarnCSCID, Description: "release builds, warn only", AllowedPublishers: []string{ReleaseProfile}, UntrustedArtifactOnDeployment: "Warn"},
			},
			Layers: []lambdaemu.LayerWorld{
				{Name: SignedLayer, CodeWorld: lambdaemu.CodeWorld{Files: map[string]string{"lib/utils.sh": "utils 1"}, SignedBy: ReleaseProfile}},
				{Name: UnsignedLayer, CodeWorld: lambdaemu.CodeWorld{Files: map[string]string{"lib/utils.sh": "utils, patched"}}},
				{Name: "partner-tools", Account: PartnerAccount, Version: 1, CodeWorld: lambdaemu.CodeWorld{Files: map[string]string{"lib/tools.sh": "partner"}}},
			},
			Functions: []lambdaemu.FunctionWorld{
				fn(Payments, WarnCSCID, nil),
				fn(Orders, EnforceCSCID, nil),
				fn(Reports, EnforceCSCID, []string{"arn:aws:lambda:" + Region + ":" + Account + ":layer:" + SignedLayer + ":1"}),
			},
		},
		Repos: repoemu.World{},
	}
}

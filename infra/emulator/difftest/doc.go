// Package difftest holds the selfguard emulator to references it did not
// write. Its tests decode recorded AWS responses (Cloud Custodian placebo
// files, LocalStack snapshots recorded against real AWS, AWS documentation
// examples) through the real aws-sdk-go-v2 clients and compare the set of
// populated output fields with what the same call against the emulator
// yields; they run the same call sequences against moto 5 and the emulator;
// and they compare the emulator's CloudTrail records with real ones. Every
// accepted difference sits on an allow-list with its reason, and
// docs/emulator-fidelity.md explains them. The package has no non-test code.
package difftest

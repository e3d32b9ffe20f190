// Package demo plays selfguard's scenarios on the local account: named
// people (alice the developer, the ci role, mallory the attacker) change
// functions and repositories through the SDK, the emulator records the
// CloudTrail events, template.yaml's rules deliver them to the guard
// binaries under the Runtime Interface Emulator, and the demo prints the
// timeline (event → guard decision → action → alert) and checks that the
// account ends in the expected state. `selfguard demo` runs it, and a test
// runs it too, so the demo cannot rot.
package demo

// Package settings reads a guard's configuration from its environment, which
// template.yaml's parameters fill in. Exemptions live here, in the guard's own
// configuration, never in tags on the guarded resources: whoever can change a
// function's code can change its tags. Invalid settings are an error at cold
// start rather than a guard that silently does less.
package settings

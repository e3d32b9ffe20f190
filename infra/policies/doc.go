// Package policies holds the deny policies that keep selfguard's guarantees
// out of developers' hands: a permission boundary for developer roles, and
// two service control policies for an organization. They assume the stack
// is named selfguard (its name is then a reserved prefix of function, role,
// topic, queue, table, alarm, rule and log group names) and that it is
// deployed by a role named selfguard-deployer; replace both to fit.
package policies

// Package org holds what deploys selfguard to an AWS Organization, and the
// tests that hold it to AWS's rules and to template.yaml:
//
//   - member.template.json: template.yaml transformed offline by the SAM
//     translator (service-managed StackSets accept no transforms), made by
//     transform.py, with the organization's parameters (code buckets per
//     region, names per region, the central alert topic);
//   - audit-role.yaml: the read-only role `selfguard audit` assumes in each
//     member (package orgaudit);
//   - central-alerts.yaml: the security account's alert topic, admitting
//     the organization's accounts only;
//   - guard-scp.json: the service control policy that leaves the guard's
//     stack and resources to the StackSet alone.
//
// docs/organizations.md tells how to deploy them.
package org

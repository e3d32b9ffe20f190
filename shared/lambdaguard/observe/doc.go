// Package observe reads the current state of one Lambda function — the
// observe step of the Lambda guard — into a Snapshot that the pure decision
// (package decide) judges.
//
// Reads are spent carefully, since every Lambda control-plane call except
// GetFunction shares one bucket of 15 requests per second per account and
// region with the customer's own pipelines. GetFunction has its own quota of
// 100 per second and returns configuration, layers, signing fields and
// reserved concurrency in one call, so the Reader uses it wherever it can,
// including for the published versions an alias routes to. What each event
// type costs:
//
//	scope                    GetFunction (100/s)      shared 15/s bucket
//	quick event, trusted     1 (Glance)               0
//	  (UpdateFunctionCode/Configuration, PublishVersion; Create/UpdateAlias
//	   without weights) when the glance shows the code trusted; otherwise
//	   the read of its scope below, which takes $LATEST and a published
//	   version from the glance (ReadSeen) rather than reading them again
//	code event               1 ($LATEST)              1 GetFunctionCodeSigningConfig
//	  (Create/UpdateFunction*, PublishVersion,        + 1 GetCodeSigningConfig if one other than
//	   Put/DeleteFunctionCodeSigningConfig)           the configured one is attached
//	                                                  (none for a container image)
//	configuration event      as a code event          as a code event, + 1 ListVersionsByFunction
//	  (UpdateFunctionConfiguration)                   per 50 versions: the handler and runtime are
//	                                                  judged against the newest trusted version
//	CSC event                in the guard: none;      in the guard: 1 ListFunctionsByCodeSigningConfig
//	  (UpdateCodeSigningConfig) in the sweep workers: per 50 functions; in the sweep workers:
//	                         1 per function           1 GetCodeSigningConfig per batch of 25
//	                                                  (without a sweep queue: as a code event per
//	                                                  function, + 1 GetCodeSigningConfig)
//	alias event              0 (the listing holds     1 GetAlias + 1 ListVersionsByFunction per 50
//	  (Create/UpdateAlias)   the routed versions)     versions: whether a version may run takes the
//	                                                  versions before it
//	full (sweep)             1 + 1 per routed version 1 GetFunctionCodeSigningConfig [+1 GetCodeSigningConfig]
//	                         not already listed       + 1 ListAliases per 50 aliases
//	                                                  + 1 ListVersionsByFunction per 50 versions
//	versions (ReadVersions)  -                        1 ListVersionsByFunction per 50 versions
//	publish event            + 1 (the version the     as a code event
//	  (PublishVersion, publish=true)  response names)
//	aliases (ReadAliases)    1 per routed version     1 ListAliases per 50 aliases
//	named CSC (ReadCSC)      -                        1 GetCodeSigningConfig
//
// ReadVersions is called only when a restore or an alias repair needs a
// target (the newest trusted published version), or when an event removed
// a protection and the edge rules name the versions published meanwhile.
// ReadAliases only when deleting an untrusted version is configured: a
// version is deleted only if no alias routes to it. ReadCSC only for the
// config a PutFunctionCodeSigningConfig event attached.
//
// Signatures asks AWS Signer (its own quotas, not Lambda's) whether the
// trusted signatures the decision looks at still hold: one DescribeSigningJob
// per signing job and one GetSigningProfile per profile version, cached for
// a bounded time in the function instance. The policy of the
// configured code signing config is left to the events that change it
// (Reader.ConfiguredCSC says why that is sound).
package observe

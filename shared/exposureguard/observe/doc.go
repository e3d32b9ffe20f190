// Package observe reads who can reach a Lambda function — its resource-based
// policies, function URLs and recursive loop setting — and a layer
// version's policy or an event source mapping, into the snapshots the
// exposure decision (package decide) judges.
//
// GetPolicy has a quota of its own (15 requests per second per account and
// region); every other read here draws on the shared 15/s control-plane
// bucket. A function has one policy per holder: the function itself, each
// published version and each alias. What each scope costs:
//
//	scope                       GetPolicy (15/s)       shared 15/s bucket
//	policy event                1 (the holder named)   0, or 1 ListFunctionUrlConfigs when a
//	  (Add/RemovePermission)                           public statement only works through a URL
//	URL event                   1 (the URL's holder)   1 GetFunctionUrlConfig
//	  (Create/UpdateFunctionUrlConfig)
//	recursion event             0                      1 GetFunctionRecursionConfig
//	full (evaluate)             1 + aliases + versions 1 ListAliases and 1 ListVersionsByFunction per 50,
//	                                                   1 ListFunctionUrlConfigs, 1 GetFunctionRecursionConfig
//	sweep (holders known)       1 + aliases + versions 1 ListFunctionUrlConfigs, 1 GetFunctionRecursionConfig
//	layer version               0                      1 GetLayerVersionPolicy
//	event source mapping        0                      1 GetEventSourceMapping
//
// The function's own account, from which trust is judged, is the
// configured one (settings.Exposure.Account), else the account of a
// function ARN Lambda itself returned; never an account a policy's text
// names, which whoever wrote the policy chose.
package observe

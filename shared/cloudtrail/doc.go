// Package cloudtrail parses the "AWS API Call via CloudTrail" events that
// EventBridge delivers to the guards, and names the event sources, detail type
// and event names they react to. Lambda's event names carry version suffixes
// that vary (UpdateFunctionCode20150331v2, UpdateFunctionCode20150331), so
// names are normalised to the API operation before anything compares them.
package cloudtrail

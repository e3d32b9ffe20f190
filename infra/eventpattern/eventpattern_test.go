package eventpattern

import (
	"encoding/json"
	"strings"
	"testing"
)

// The cases below follow the examples of the EventBridge User Guide; each
// names its page: "syntax" = Event pattern syntax (eb-create-pattern),
// "arrays" = Arrays in event patterns, "null" = Matching null values and
// empty strings, "content" = Content filtering in event patterns
// (eb-event-patterns-content-based-filtering), "operators" = Comparison
// operators for use in event patterns (eb-create-pattern-operators).
// Events are written for the test; patterns keep the documentation's shape.
func TestMatchDocumentationExamples(t *testing.T) {
	ec2 := `{"source":"aws.ec2","detail-type":"EC2 Instance State-change Notification","detail":{"state":"terminated"}}`
	tests := []struct {
		name, doc, pattern, event string
		want                      bool
	}{
		{"fields at top level and nested all match", "syntax",
			`{"source":["aws.ec2"],"detail-type":["EC2 Instance State-change Notification"],"detail":{"state":["terminated"]}}`, ec2, true},
		{"one nested field differs", "syntax",
			`{"source":["aws.ec2"],"detail":{"state":["running"]}}`, ec2, false},
		{"a field the event lacks fails the match", "syntax",
			`{"source":["aws.ec2"],"detail":{"instance-id":["i-1"]}}`, ec2, false},
		{"any of several values matches", "syntax",
			`{"source":["aws.ec2","aws.fargate"]}`, `{"source":"aws.fargate"}`, true},
		{"none of several values", "syntax",
			`{"source":["aws.ec2","aws.fargate"]}`, `{"source":"aws.s3"}`, false},
		{"event array intersects pattern array", "arrays",
			`{"resources":["arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f","arn:aws:ec2:us-east-1:111122223333:instance/i-b188560f"]}`,
			`{"resources":["arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:x","arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f"]}`, true},
		{"event array without a common element", "arrays",
			`{"resources":["arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f"]}`,
			`{"resources":["arn:aws:ec2:us-east-1:123456789012:instance/i-other"]}`, false},
		{"empty string matches empty string", "null",
			`{"detail":{"eventVersion":[""]}}`, `{"detail":{"eventVersion":"","responseElements":null}}`, true},
		{"null matches null", "null",
			`{"detail":{"responseElements":[null]}}`, `{"detail":{"eventVersion":"","responseElements":null}}`, true},
		{"empty string does not match null", "null",
			`{"detail":{"responseElements":[""]}}`, `{"detail":{"responseElements":null}}`, false},
		{"null does not match a missing field", "null",
			`{"detail":{"responseElements":[null]}}`, `{"detail":{}}`, false},
		{"prefix of time", "content",
			`{"time":[{"prefix":"2017-10-02"}]}`, `{"time":"2017-10-02T18:43:48Z"}`, true},
		{"prefix only on strings", "content",
			`{"x":[{"prefix":"1"}]}`, `{"x":12}`, false},
		{"prefix ignoring case", "operators",
			`{"service":[{"prefix":{"equals-ignore-case":"eventb"}}]}`, `{"service":"EventBridge"}`, true},
		{"suffix", "operators",
			`{"FileName":[{"suffix":".png"}]}`, `{"FileName":"photo.png"}`, true},
		{"suffix is case sensitive", "operators",
			`{"FileName":[{"suffix":".png"}]}`, `{"FileName":"photo.PNG"}`, false},
		{"suffix ignoring case", "operators",
			`{"service":[{"suffix":{"equals-ignore-case":"tbridge"}}]}`, `{"service":"EVENTBRIDGE"}`, true},
		{"equals ignoring case", "operators",
			`{"Name":[{"equals-ignore-case":"alice"}]}`, `{"Name":"ALICE"}`, true},
		{"equals ignoring case is not a prefix", "operators",
			`{"Name":[{"equals-ignore-case":"alice"}]}`, `{"Name":"Alicia"}`, false},
		{"anything-but a string, other value", "content",
			`{"detail":{"state":[{"anything-but":"initializing"}]}}`, `{"detail":{"state":"running"}}`, true},
		{"anything-but a string, that value", "content",
			`{"detail":{"state":[{"anything-but":"initializing"}]}}`, `{"detail":{"state":"initializing"}}`, false},
		{"anything-but does not match a missing field", "content",
			`{"detail":{"state":[{"anything-but":"initializing"}]}}`, `{"detail":{}}`, false},
		{"anything-but a number", "content",
			`{"detail":{"x-limit":[{"anything-but":123}]}}`, `{"detail":{"x-limit":1.23e2}}`, false},
		{"anything-but a list of strings", "content",
			`{"detail":{"state":[{"anything-but":["stopped","overloaded"]}]}}`, `{"detail":{"state":"overloaded"}}`, false},
		{"anything-but a list of numbers, other number", "content",
			`{"detail":{"x-limit":[{"anything-but":[100,200,300]}]}}`, `{"detail":{"x-limit":301}}`, true},
		{"anything-but prefix", "content",
			`{"detail":{"state":[{"anything-but":{"prefix":"init"}}]}}`, `{"detail":{"state":"initializing"}}`, false},
		{"anything-but prefix, other prefix", "content",
			`{"detail":{"state":[{"anything-but":{"prefix":"init"}}]}}`, `{"detail":{"state":"running"}}`, true},
		{"anything-but suffix", "operators",
			`{"FileName":[{"anything-but":{"suffix":".png"}}]}`, `{"FileName":"a.png"}`, false},
		{"anything-but ignoring case", "operators",
			`{"state":[{"anything-but":{"equals-ignore-case":"initializing"}}]}`, `{"state":"INITIALIZING"}`, false},
		{"anything-but ignoring case, list", "operators",
			`{"state":[{"anything-but":{"equals-ignore-case":["a","b"]}}]}`, `{"state":"C"}`, true},
		{"anything-but wildcard", "operators",
			`{"FilePath":[{"anything-but":{"wildcard":"*/lib/*"}}]}`, `{"FilePath":"/usr/lib/x.so"}`, false},
		{"anything-but wildcard, other path", "operators",
			`{"FilePath":[{"anything-but":{"wildcard":"*/lib/*"}}]}`, `{"FilePath":"/usr/bin/x"}`, true},
		{"numeric range, all fields true", "content",
			`{"detail":{"c-count":[{"numeric":[">",0,"<=",5]}],"d-count":[{"numeric":["<",10]}],"x-limit":[{"numeric":["=",3.018e2]}]}}`,
			`{"detail":{"c-count":5,"d-count":9.99,"x-limit":301.8}}`, true},
		{"numeric lower bound is exclusive", "content",
			`{"detail":{"c-count":[{"numeric":[">",0,"<=",5]}]}}`, `{"detail":{"c-count":0}}`, false},
		{"numeric on a string is no match", "content",
			`{"detail":{"c-count":[{"numeric":[">",0]}]}}`, `{"detail":{"c-count":"3"}}`, false},
		{"exact number compares numerically", "content",
			`{"x":[300]}`, `{"x":3.0e2}`, true},
		{"exact number does not match its string", "content",
			`{"x":[300]}`, `{"x":"300"}`, false},
		{"cidr IPv4", "content",
			`{"detail":{"sourceIPAddress":[{"cidr":"10.0.0.0/24"}]}}`, `{"detail":{"sourceIPAddress":"10.0.0.255"}}`, true},
		{"cidr IPv4 outside", "content",
			`{"detail":{"sourceIPAddress":[{"cidr":"10.0.0.0/24"}]}}`, `{"detail":{"sourceIPAddress":"10.0.1.1"}}`, false},
		{"cidr IPv6", "content",
			`{"ip":[{"cidr":"2001:db8::/32"}]}`, `{"ip":"2001:db8:1::5"}`, true},
		{"exists false on a missing field", "content",
			`{"detail":{"c-count":[{"exists":false}]}}`, `{"detail-type":"x","detail":{"state":["initializing","running"]}}`, true},
		{"exists false on an intermediate node", "content",
			`{"detail":{"c-count":[{"exists":false}]}}`, `{"detail":{"state":["initializing"],"c-count":{"c1":100}}}`, true},
		{"exists false on a present leaf", "content",
			`{"detail":{"c-count":[{"exists":false}]}}`, `{"detail":{"c-count":1}}`, false},
		{"exists true on a present leaf", "content",
			`{"detail":{"description":[{"exists":true}]}}`, `{"detail":{"description":"x"}}`, true},
		{"exists true on a null leaf", "content",
			`{"detail":{"description":[{"exists":true}]}}`, `{"detail":{"description":null}}`, true},
		{"exists true on a missing field", "content",
			`{"detail":{"description":[{"exists":true}]}}`, `{"detail":{}}`, false},
		{"complex: prefix, anything-but and numeric", "content",
			`{"time":[{"prefix":"2017-10-02"}],"detail":{"state":[{"anything-but":"initializing"}],"c-count":[{"numeric":[">",0,"<=",5]}],"d-count":[{"numeric":["<",10]}],"x-limit":[{"anything-but":[100,200,300]}]}}`,
			`{"time":"2017-10-02T01:00:00Z","detail":{"state":"running","c-count":2,"d-count":1,"x-limit":150}}`, true},
		{"complex: one excluded number fails it", "content",
			`{"time":[{"prefix":"2017-10-02"}],"detail":{"state":[{"anything-but":"initializing"}],"x-limit":[{"anything-but":[100,200,300]}]}}`,
			`{"time":"2017-10-02T01:00:00Z","detail":{"state":"running","x-limit":200}}`, false},
		{"wildcard in the middle", "operators",
			`{"EventBusArn":[{"wildcard":"arn:aws:events:us-east-1:*:event-bus/*"}]}`, `{"EventBusArn":"arn:aws:events:us-east-1:123456789012:event-bus/default"}`, true},
		{"wildcard needs the literal parts", "operators",
			`{"EventBusArn":[{"wildcard":"arn:aws:events:us-east-1:*:event-bus/*"}]}`, `{"EventBusArn":"arn:aws:events:us-west-2:123456789012:event-bus/default"}`, false},
		{"escaped star is literal", "operators",
			`{"f":[{"wildcard":"a\\*b"}]}`, `{"f":"a*b"}`, true},
		{"escaped star does not match other text", "operators",
			`{"f":[{"wildcard":"a\\*b"}]}`, `{"f":"axb"}`, false},
		{"$or of two fields, first", "operators",
			`{"$or":[{"c-count":[{"numeric":[">",0,"<=",5]}]},{"d-count":[{"numeric":["<",10]}]}]}`, `{"c-count":3,"d-count":20}`, true},
		{"$or of two fields, neither", "operators",
			`{"$or":[{"c-count":[{"numeric":[">",0,"<=",5]}]},{"d-count":[{"numeric":["<",10]}]}]}`, `{"c-count":30,"d-count":20}`, false},
		{"$or nested with other fields", "operators",
			`{"source":["aws.ec2"],"detail":{"$or":[{"state":["running"]},{"code":[1]}]}}`, `{"source":"aws.ec2","detail":{"code":1}}`, true},
		{"$or does not rescue a failing sibling", "operators",
			`{"source":["aws.s3"],"detail":{"$or":[{"state":["running"]},{"code":[1]}]}}`, `{"source":"aws.ec2","detail":{"code":1}}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.doc+"/"+tt.name, func(t *testing.T) {
			p, err := Compile([]byte(tt.pattern))
			if err != nil {
				t.Fatalf("Compile(%s): %v", tt.pattern, err)
			}
			got, err := p.Match([]byte(tt.event))
			if err != nil {
				t.Fatalf("Match: %v", err)
			}
			if got != tt.want {
				t.Errorf("Match(%s) against %s = %v, want %v", tt.event, tt.pattern, got, tt.want)
			}
		})
	}
}

// TestMatchSelfguardRules holds the shapes selfguard's own rules rely on: a
// CloudTrail event name matched by prefix, failed and read-only calls left out.
func TestMatchSelfguardRules(t *testing.T) {
	pattern := MustCompile(`{
		"source": ["aws.lambda"],
		"detail-type": ["AWS API Call via CloudTrail"],
		"detail": {
			"eventName": [{"prefix": "UpdateFunctionCode"}, {"prefix": "CreateAlias"}],
			"errorCode": [{"exists": false}],
			"readOnly": [false],
			"userIdentity": {"arn": [{"anything-but": "arn:aws:sts::123456789012:assumed-role/guard/x"}]}
		}
	}`)
	base := func(mut func(d map[string]any)) map[string]any {
		d := map[string]any{
			"eventName": "UpdateFunctionCode20150331v2", "readOnly": false,
			"userIdentity": map[string]any{"arn": "arn:aws:iam::123456789012:user/dev"},
		}
		if mut != nil {
			mut(d)
		}
		return map[string]any{"source": "aws.lambda", "detail-type": "AWS API Call via CloudTrail", "detail": d}
	}
	tests := []struct {
		name  string
		event map[string]any
		want  bool
	}{
		{"a successful write by a developer matches", base(nil), true},
		{"the older event name form matches by prefix", base(func(d map[string]any) { d["eventName"] = "UpdateFunctionCode20150331" }), true},
		{"another listed operation matches", base(func(d map[string]any) { d["eventName"] = "CreateAlias20150331" }), true},
		{"an unlisted operation does not", base(func(d map[string]any) { d["eventName"] = "DeleteFunction20150331" }), false},
		{"a failed call does not", base(func(d map[string]any) { d["errorCode"] = "AccessDenied" }), false},
		{"a read-only call does not", base(func(d map[string]any) { d["readOnly"] = true }), false},
		{"the guard's own call does not", base(func(d map[string]any) {
			d["userIdentity"] = map[string]any{"arn": "arn:aws:sts::123456789012:assumed-role/guard/x"}
		}), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw, _ := json.Marshal(tt.event)
			got, err := pattern.Match(raw)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("Match = %v, want %v", got, tt.want)
			}
			if gotValue := pattern.MatchValue(tt.event); gotValue != tt.want {
				t.Errorf("MatchValue = %v, want %v", gotValue, tt.want)
			}
		})
	}
}

func TestMatchEdgeCases(t *testing.T) {
	tests := []struct {
		name, pattern, event string
		want                 bool
	}{
		{"a nested pattern matches an element of an array of objects", `{"a":{"b":[1]}}`, `{"a":[{"b":2},{"b":1}]}`, true},
		{"fields of one pattern must come from the same array element", `{"a":{"b":[1],"c":[2]}}`, `{"a":[{"b":1},{"c":2}]}`, false},
		{"fields from one element", `{"a":{"b":[1],"c":[2]}}`, `{"a":[{"b":1,"c":2}]}`, true},
		{"a leaf pattern does not match an object", `{"detail":["x"]}`, `{"detail":{"x":1}}`, false},
		{"exists true does not match an object", `{"detail":[{"exists":true}]}`, `{"detail":{"x":1}}`, false},
		{"exists false matches an empty array", `{"resources":[{"exists":false}]}`, `{"resources":[]}`, true},
		{"exists true does not match an empty array", `{"resources":[{"exists":true}]}`, `{"resources":[]}`, false},
		{"nested arrays are flattened", `{"a":[3]}`, `{"a":[[1,[2,3]]]}`, true},
		{"booleans match booleans only", `{"a":[true]}`, `{"a":"true"}`, false},
		{"boolean true", `{"a":[true]}`, `{"a":true}`, true},
		{"anything-but matches when any array element is not excluded", `{"a":[{"anything-but":"x"}]}`, `{"a":["x","y"]}`, true},
		{"anything-but with every element excluded", `{"a":[{"anything-but":"x"}]}`, `{"a":["x","x"]}`, false},
		{"numeric with two bounds inclusive", `{"a":[{"numeric":[">=",1,"<=",1.5]}]}`, `{"a":1.5}`, true},
		{"numeric upper bound exclusive", `{"a":[{"numeric":[">=",1,"<",1.5]}]}`, `{"a":15e-1}`, false},
		{"negative numbers", `{"a":[{"numeric":["<",-1]}]}`, `{"a":-2}`, true},
		{"wildcard star alone matches any string", `{"a":[{"wildcard":"*"}]}`, `{"a":""}`, true},
		{"wildcard star alone does not match numbers", `{"a":[{"wildcard":"*"}]}`, `{"a":1}`, false},
		{"wildcard suffix must be at the end", `{"a":[{"wildcard":"*.png"}]}`, `{"a":"x.png.txt"}`, false},
		{"wildcard repeated segment", `{"a":[{"wildcard":"a*b*b"}]}`, `{"a":"ab"}`, false},
		{"wildcard overlapping segments", `{"a":[{"wildcard":"a*b*b"}]}`, `{"a":"abxb"}`, true},
		{"wildcard without stars is exact", `{"a":[{"wildcard":"abc"}]}`, `{"a":"abcd"}`, false},
		{"escaped backslash", `{"a":[{"wildcard":"a\\\\*"}]}`, `{"a":"a\\zz"}`, true},
		{"cidr does not match a non-address", `{"a":[{"cidr":"10.0.0.0/8"}]}`, `{"a":"10.example"}`, false},
		{"cidr with host bits set is masked", `{"a":[{"cidr":"10.1.2.3/8"}]}`, `{"a":"10.200.0.1"}`, true},
		{"exists true and false together match anything", `{"a":[{"exists":true},{"exists":false}]}`, `{"b":1}`, true},
		{"exists false in an intermediate object that is missing", `{"a":{"b":[{"exists":false}]}}`, `{"c":1}`, true},
		{"exists false when an array element has the field", `{"a":{"b":[{"exists":false}]}}`, `{"a":[{"b":1}]}`, false},
		{"prefix ignoring case with non-ASCII", `{"a":[{"prefix":{"equals-ignore-case":"ÉV"}}]}`, `{"a":"évent"}`, true},
		{"$or alternatives may be nested objects", `{"$or":[{"a":{"b":[1]}},{"c":[2]}]}`, `{"a":{"b":1}}`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Compile([]byte(tt.pattern))
			if err != nil {
				t.Fatalf("Compile(%s): %v", tt.pattern, err)
			}
			got, err := p.Match([]byte(tt.event))
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("Match(%s) against %s = %v, want %v", tt.event, tt.pattern, got, tt.want)
			}
		})
	}
}

func TestCompileRejectsInvalidPatterns(t *testing.T) {
	tests := []struct {
		name, pattern, wantErr string
	}{
		{"not JSON", `{"a":`, "invalid JSON"},
		{"not an object", `["a"]`, "must be a JSON object"},
		{"empty pattern", `{}`, "must not be empty"},
		{"trailing data", `{"a":["x"]} {}`, "trailing data"},
		{"leaf value not in an array", `{"source":"aws.ec2"}`, "must be an array or an object"},
		{"empty match array", `{"source":[]}`, "empty arrays"},
		{"array inside a match array", `{"source":[["a"]]}`, "arrays inside match arrays"},
		{"empty nested object", `{"detail":{}}`, "must not be empty"},
		{"unknown operator", `{"a":[{"contains":"x"}]}`, `unrecognized match type "contains"`},
		{"two operators in one object", `{"a":[{"prefix":"x","suffix":"y"}]}`, "exactly one operator"},
		{"prefix of a number", `{"a":[{"prefix":1}]}`, "prefix needs a string"},
		{"suffix with an unknown option", `{"a":[{"suffix":{"ignore":"x"}}]}`, "suffix needs a string"},
		{"equals-ignore-case of a number", `{"a":[{"equals-ignore-case":1}]}`, "needs a string"},
		{"exists of a string", `{"a":[{"exists":"yes"}]}`, "exists needs true or false"},
		{"numeric not a list", `{"a":[{"numeric":5}]}`, "numeric needs"},
		{"numeric odd list", `{"a":[{"numeric":[">",1,"<"]}]}`, "numeric needs"},
		{"numeric unknown operator", `{"a":[{"numeric":["!=",1]}]}`, "unrecognized numeric operator"},
		{"numeric string operand", `{"a":[{"numeric":[">","1"]}]}`, "needs a number"},
		{"numeric two lower bounds", `{"a":[{"numeric":[">",1,">=",2]}]}`, "two lower bounds"},
		{"numeric empty range", `{"a":[{"numeric":[">",5,"<",1]}]}`, "range is empty"},
		{"numeric equals combined", `{"a":[{"numeric":["=",5,"<",10]}]}`, "cannot be combined"},
		{"numeric out of range", `{"a":[{"numeric":[">",6e9]}]}`, "outside"},
		{"cidr not a prefix", `{"a":[{"cidr":"10.0.0.1"}]}`, "bad cidr"},
		{"anything-but mixed list", `{"a":[{"anything-but":["x",1]}]}`, "only strings or only numbers"},
		{"anything-but empty list", `{"a":[{"anything-but":[]}]}`, "must not be empty"},
		{"anything-but boolean", `{"a":[{"anything-but":true}]}`, "anything-but needs"},
		{"anything-but unsupported operator", `{"a":[{"anything-but":{"numeric":[">",1]}}]}`, "unsupported anything-but operator"},
		{"anything-but prefix of a number", `{"a":[{"anything-but":{"prefix":1}}]}`, "needs a string"},
		{"wildcard with consecutive stars", `{"a":[{"wildcard":"a**b"}]}`, "consecutive wildcard"},
		{"wildcard with a bad escape", `{"a":[{"wildcard":"a\\b"}]}`, "backslash"},
		{"$or with one alternative", `{"$or":[{"a":["x"]}]}`, "at least two"},
		{"$or not an array", `{"$or":{"a":["x"]}}`, "at least two"},
		{"$or with a non-object", `{"$or":[{"a":["x"]},"b"]}`, "non-empty object"},
		{"error inside $or", `{"$or":[{"a":["x"]},{"b":[{"bogus":1}]}]}`, "unrecognized match type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Compile([]byte(tt.pattern))
			if err == nil {
				t.Fatalf("Compile(%s) succeeded, want an error containing %q", tt.pattern, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Compile(%s) = %v, want an error containing %q", tt.pattern, err, tt.wantErr)
			}
		})
	}
}

func TestMatchRejectsNonObjectEvents(t *testing.T) {
	p := MustCompile(`{"a":[{"exists":false}]}`)
	for _, ev := range []string{`[]`, `"x"`, `{"a":`, `null`} {
		if _, err := p.Match([]byte(ev)); err == nil {
			t.Errorf("Match(%s) succeeded, want an error", ev)
		}
	}
	if p.MatchValue([]any{}) {
		t.Error("MatchValue of an array matched")
	}
}

func BenchmarkMatch(b *testing.B) {
	p := MustCompile(`{"source":["aws.lambda"],"detail":{"eventName":[{"prefix":"UpdateFunctionCode"}],"errorCode":[{"exists":false}],"readOnly":[false]}}`)
	ev := []byte(`{"source":"aws.lambda","detail-type":"AWS API Call via CloudTrail","detail":{"eventName":"UpdateFunctionCode20150331v2","readOnly":false,"requestParameters":{"functionName":"f"}}}`)
	for b.Loop() {
		if ok, err := p.Match(ev); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
}

func FuzzCompileMatch(f *testing.F) {
	seeds := [][2]string{
		{`{"source":["aws.ec2"],"detail":{"state":["terminated"]}}`, `{"source":"aws.ec2","detail":{"state":"terminated"}}`},
		{`{"a":[{"prefix":{"equals-ignore-case":"x"}}]}`, `{"a":"XYZ"}`},
		{`{"a":[{"numeric":[">",0,"<=",5]}]}`, `{"a":3e0}`},
		{`{"a":[{"anything-but":{"wildcard":["*/lib/*","a\\*"]}}]}`, `{"a":["/lib/x","b"]}`},
		{`{"a":[{"wildcard":"a*b*c"}]}`, `{"a":"aXbYc"}`},
		{`{"$or":[{"a":[1]},{"b":{"c":[{"exists":false}]}}]}`, `{"b":[{"c":{"d":1}}]}`},
		{`{"a":[{"cidr":"::1/128"}]}`, `{"a":"::1"}`},
		{`{"a":[null,true,"",0]}`, `{"a":[[null]]}`},
	}
	for _, s := range seeds {
		f.Add([]byte(s[0]), []byte(s[1]))
	}
	f.Fuzz(func(t *testing.T, pattern, event []byte) {
		p, err := Compile(pattern)
		if err != nil {
			return
		}
		got, err := p.Match(event)
		if err != nil {
			return
		}
		// Matching must not depend on how the event was handed over.
		v, err := decode(event)
		if err != nil {
			t.Fatalf("Match accepted an event decode rejects: %v", err)
		}
		if again := p.MatchValue(v); again != got {
			t.Fatalf("Match = %v but MatchValue = %v", got, again)
		}
		// A compiled pattern's source compiles to the same behaviour.
		q, err := Compile([]byte(p.String()))
		if err != nil {
			t.Fatalf("recompiling the source failed: %v", err)
		}
		if again, _ := q.Match(event); again != got {
			t.Fatalf("recompiled pattern disagrees: %v vs %v", again, got)
		}
	})
}

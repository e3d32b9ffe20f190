package emulator

import (
	"bytes"
	"encoding/json"
	"testing"
)

// FuzzDecodeAndLoadWorld: any world document either loads or is refused
// with an error; a refused world leaves the account as it was.
func FuzzDecodeAndLoadWorld(f *testing.F) {
	f.Add([]byte(`{"account":"111122223333","lambda":{"functions":[{"name":"f"}]},"repos":{}}`))
	f.Add([]byte(`{"lambda":{"signingProfiles":[{"name":"p"}],"functions":[{"name":"f","signedBy":"p","versions":[{}],"aliases":[{"name":"a","functionVersion":"1"}]}]}}`))
	f.Add([]byte(`{"repos":{"repositories":[{"name":"r"}],"codeGuruAssociations":[{"repository":"r","state":"Failed"}]}}`))
	f.Add([]byte(`{"lambda":{"layers":[{"name":"l","permissions":[{"statementId":"s","principal":"*"}]}],"functions":[{"name":"f","versions":[{}],"aliases":[{"name":"a","functionVersion":"1"}],"permissions":[{"statementId":"p","principal":"*","qualifier":"a"}],"urls":[{"authType":"NONE","qualifier":"a"}],"recursiveLoop":"Allow"}],"eventSourceMappings":[{"functionName":"f:a","eventSourceArn":"arn:aws:sqs:eu-west-1:111122223333:q"}]}}`))
	f.Add([]byte(`{"account":"12"}`))
	f.Add([]byte(`{"lambda":{"functions":[{"name":"f","layers":["nope"]}]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		srv := New("111122223333", "eu-west-1")
		before, _ := json.Marshal(srv.Dump())
		w, err := DecodeWorld(bytes.NewReader(data))
		if err == nil {
			err = srv.LoadWorld(w)
		}
		if err != nil {
			after, _ := json.Marshal(srv.Dump())
			if !bytes.Equal(before, after) {
				t.Fatalf("a refused world changed the account: %v", err)
			}
		}
	})
}

package localorg

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/selfguard/selfguard/infra/emulator/awsproto"
)

// ServeHTTP routes a request to the organization's own APIs or to the
// emulator of the caller's account and the region it signed for.
func (o *Org) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == CallsPath {
		awsproto.WriteJSON(w, http.StatusOK, o.Calls())
		return
	}
	cred, ok := awsproto.ParseCredential(r)
	if !ok {
		awsproto.WriteRESTJSONError(w, awsproto.Errorf(http.StatusForbidden, "MissingAuthenticationTokenException", "Missing Authentication Token"))
		return
	}
	account, ok := o.accountOf(cred.AccessKeyID)
	if !ok {
		awsproto.WriteRESTJSONError(w, invalidToken())
		return
	}
	switch cred.Service {
	case "sts":
		o.serveSTS(w, r, account)
	case "organizations":
		o.serveOrganizations(w, r, account)
	case "account":
		o.serveAccount(w, r, account)
	default:
		srv := o.Emulators[Key(account, cred.Region)]
		if srv == nil {
			// What AWS answers in a region the account has not enabled:
			// its credentials are not valid there.
			awsproto.WriteRESTJSONError(w, invalidToken())
			return
		}
		srv.ServeHTTP(w, r)
	}
}

// CallsPath serves Calls as JSON (no AWS path begins with it).
const CallsPath = "/_localorg/calls"

// Usage is one account-region's Lambda control-plane calls and 429s.
type Usage struct {
	Control   int64 `json:"control"`
	Throttled int64 `json:"throttled"`
}

// Calls returns each member account-region's usage of its shared Lambda
// control-plane bucket, the one the audit's time is bounded by.
func (o *Org) Calls() map[string]Usage {
	out := map[string]Usage{}
	for k, srv := range o.Emulators {
		var u Usage
		for _, s := range srv.Env.Calls.Stats() {
			if s.Service == "lambda" && s.Bucket == "control-plane" {
				u.Control += s.Calls
				u.Throttled += s.Throttled
			}
		}
		out[k] = u
	}
	return out
}

func invalidToken() *awsproto.Error {
	return awsproto.Errorf(http.StatusForbidden, "UnrecognizedClientException", "The security token included in the request is invalid.")
}

// STS speaks the query protocol: a form body, an XML answer.
const stsNS = "https://sts.amazonaws.com/doc/2011-06-15/"

type stsCredentials struct {
	AccessKeyID     string `xml:"AccessKeyId"`
	SecretAccessKey string
	SessionToken    string
	Expiration      string
}

type assumeRoleResponse struct {
	XMLName xml.Name `xml:"AssumeRoleResponse"`
	NS      string   `xml:"xmlns,attr"`
	Result  struct {
		Credentials     stsCredentials
		AssumedRoleUser struct {
			AssumedRoleID string `xml:"AssumedRoleId"`
			Arn           string
		}
	} `xml:"AssumeRoleResult"`
	RequestID string `xml:"ResponseMetadata>RequestId"`
}

type callerIdentityResponse struct {
	XMLName xml.Name `xml:"GetCallerIdentityResponse"`
	NS      string   `xml:"xmlns,attr"`
	Result  struct {
		Arn     string
		UserID  string `xml:"UserId"`
		Account string
	} `xml:"GetCallerIdentityResult"`
	RequestID string `xml:"ResponseMetadata>RequestId"`
}

type stsError struct {
	XMLName xml.Name `xml:"ErrorResponse"`
	NS      string   `xml:"xmlns,attr"`
	Error   struct {
		Type, Code, Message string
	}
	RequestID string `xml:"RequestId"`
}

func writeXML(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(xml.Header))
	_ = xml.NewEncoder(w).Encode(v)
}

func stsFail(w http.ResponseWriter, status int, code, msg string) {
	e := stsError{NS: stsNS, RequestID: awsproto.NewID()}
	e.Error.Type, e.Error.Code, e.Error.Message = "Sender", code, msg
	writeXML(w, status, e)
}

// serveSTS answers AssumeRole into a member's role and GetCallerIdentity.
// The role's trust admits the management and security accounts only.
func (o *Org) serveSTS(w http.ResponseWriter, r *http.Request, caller string) {
	if err := r.ParseForm(); err != nil {
		stsFail(w, http.StatusBadRequest, "MalformedInput", err.Error())
		return
	}
	switch r.Form.Get("Action") {
	case "GetCallerIdentity":
		out := callerIdentityResponse{NS: stsNS, RequestID: awsproto.NewID()}
		out.Result.Account, out.Result.UserID = caller, "AIDALOCAL"
		out.Result.Arn = "arn:aws:iam::" + caller + ":user/auditor"
		writeXML(w, http.StatusOK, out)
	case "AssumeRole":
		o.assumeRole(w, r, caller)
	default:
		stsFail(w, http.StatusBadRequest, "InvalidAction", "Could not find operation "+r.Form.Get("Action"))
	}
}

func (o *Org) assumeRole(w http.ResponseWriter, r *http.Request, caller string) {
	arn, session := r.Form.Get("RoleArn"), r.Form.Get("RoleSessionName")
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || !strings.HasPrefix(parts[5], "role/") || len(session) < 2 {
		stsFail(w, http.StatusBadRequest, "ValidationError", "invalid RoleArn or RoleSessionName")
		return
	}
	account, role := parts[4], strings.TrimPrefix(parts[5], "role/")
	trusted := caller == Management || caller == Security
	if !trusted || !o.hasRole(account, role) {
		stsFail(w, http.StatusForbidden, "AccessDenied", fmt.Sprintf(
			"User: arn:aws:iam::%s:user/auditor is not authorized to perform: sts:AssumeRole on resource: %s", caller, arn))
		return
	}
	key, secret := o.mint(account, role, session)
	out := assumeRoleResponse{NS: stsNS, RequestID: awsproto.NewID()}
	out.Result.Credentials = stsCredentials{AccessKeyID: key, SecretAccessKey: secret, SessionToken: "local-token-" + key,
		Expiration: time.Now().Add(time.Hour).UTC().Format(time.RFC3339)}
	out.Result.AssumedRoleUser.AssumedRoleID = "AROA" + key[4:] + ":" + session
	out.Result.AssumedRoleUser.Arn = "arn:aws:sts::" + account + ":assumed-role/" + role + "/" + session
	writeXML(w, http.StatusOK, out)
}

// serveAccount answers Account Management's ListRegions for the caller's
// own account (every enabled region fits one page here).
func (o *Org) serveAccount(w http.ResponseWriter, r *http.Request, caller string) {
	if r.URL.Path != "/listRegions" {
		awsproto.WriteRESTJSONError(w, awsproto.Errorf(http.StatusNotFound, "UnknownOperationException", "%s is not emulated", r.URL.Path))
		return
	}
	if !slices.Contains(o.Members, caller) {
		awsproto.WriteRESTJSONError(w, awsproto.Errorf(http.StatusForbidden, "AccessDeniedException", "account %s has no regions here", caller))
		return
	}
	type region struct{ RegionName, RegionOptStatus string }
	out := struct{ Regions []region }{}
	for _, rn := range o.enabled(caller) {
		out.Regions = append(out.Regions, region{RegionName: rn, RegionOptStatus: "ENABLED_BY_DEFAULT"})
	}
	awsproto.WriteJSON(w, http.StatusOK, out)
}

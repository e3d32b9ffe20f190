package awsproto

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// Error is an AWS service error: the HTTP status, the error code clients
// switch on, and a message.
type Error struct {
	Status  int
	Code    string
	Message string
	// Type is the Lambda error "Type" field: "User" or "Service".
	Type string
}

func (e *Error) Error() string { return fmt.Sprintf("%s (%d): %s", e.Code, e.Status, e.Message) }

// Errorf builds an Error.
func Errorf(status int, code, format string, args ...any) *Error {
	return &Error{Status: status, Code: code, Message: fmt.Sprintf(format, args...), Type: "User"}
}

// WriteRESTJSONError writes an error as REST-JSON services (Lambda, CodeGuru
// Reviewer) do: the code in X-Amzn-ErrorType and the body.
func WriteRESTJSONError(w http.ResponseWriter, e *Error) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-ErrorType", e.Code)
	w.WriteHeader(e.Status)
	body := map[string]string{"message": e.Message, "Message": e.Message}
	if e.Type != "" {
		body["Type"] = e.Type
	}
	_ = json.NewEncoder(w).Encode(body)
}

// WriteJSON11Error writes an error as JSON 1.1 services (CodeCommit) do:
// the code in the body's __type.
func WriteJSON11Error(w http.ResponseWriter, e *Error) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.WriteHeader(e.Status)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": e.Code, "message": e.Message})
}

// WriteJSON writes a successful JSON response.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if v != nil {
		_ = json.NewEncoder(w).Encode(v)
	}
}

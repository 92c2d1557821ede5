package trail

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ecrdoctor/ecrdoctor/diagnose/awsid"
)

// rawRecord is the part of a CloudTrail record that Event needs. A fresh one
// is decoded for every record: encoding/json leaves fields the input lacks
// untouched, so reusing one would carry an errorCode into the next record.
type rawRecord struct {
	EventVersion       string          `json:"eventVersion"`
	EventID            string          `json:"eventID"`
	SharedEventID      string          `json:"sharedEventID"`
	EventTime          string          `json:"eventTime"`
	EventSource        string          `json:"eventSource"`
	EventName          string          `json:"eventName"`
	AWSRegion          string          `json:"awsRegion"`
	RecipientAccountID string          `json:"recipientAccountId"`
	ErrorCode          string          `json:"errorCode"`
	ErrorMessage       string          `json:"errorMessage"`
	UserIdentity       json.RawMessage `json:"userIdentity"`
	RequestParameters  json.RawMessage `json:"requestParameters"`
	ResponseElements   json.RawMessage `json:"responseElements"`
	Resources          json.RawMessage `json:"resources"`
}

type userIdentity struct {
	Type           string `json:"type"`
	ARN            string `json:"arn"`
	AccountID      string `json:"accountId"`
	PrincipalID    string `json:"principalId"`
	InvokedBy      string `json:"invokedBy"`
	SessionContext struct {
		SessionIssuer struct {
			ARN string `json:"arn"`
		} `json:"sessionIssuer"`
	} `json:"sessionContext"`
}

type resource struct {
	ARN       string `json:"ARN"`
	AccountID string `json:"accountId"`
	Type      string `json:"type"`
}

// errWrongShape marks a record that is valid JSON but not a CloudTrail record.
var errWrongShape = errors.New("not a CloudTrail record")

// decodeRecord turns one CloudTrail record (a JSON object) into an Event.
func decodeRecord(data []byte) (Event, error) {
	var r rawRecord
	if err := json.Unmarshal(data, &r); err != nil {
		var ute *json.UnmarshalTypeError
		if errors.As(err, &ute) {
			return Event{}, fmt.Errorf("%w: field %s is a JSON %s", errWrongShape, ute.Field, ute.Value)
		}
		return Event{}, fmt.Errorf("invalid JSON: %v", err)
	}
	return r.event()
}

func (r *rawRecord) event() (Event, error) {
	if r.EventName == "" {
		return Event{}, fmt.Errorf("%w: no eventName", errWrongShape)
	}
	t, err := parseRecordTime(r.EventTime)
	if err != nil {
		return Event{}, fmt.Errorf("%w: eventTime: %v", errWrongShape, err)
	}
	e := Event{
		EventID:       r.EventID,
		SharedEventID: r.SharedEventID,
		Time:          t,
		Account:       r.RecipientAccountID,
		Region:        r.AWSRegion,
		EventName:     r.EventName,
		ErrorCode:     r.ErrorCode,
		ErrorMessage:  r.ErrorMessage,
	}
	var ui userIdentity
	if len(r.UserIdentity) > 0 && !isNull(r.UserIdentity) {
		if err := json.Unmarshal(r.UserIdentity, &ui); err != nil {
			return Event{}, fmt.Errorf("%w: userIdentity: %v", errWrongShape, err)
		}
	}
	e.CallerType = ui.Type
	e.Caller = firstNonEmpty(ui.ARN, messageUser(r.ErrorMessage), ui.SessionContext.SessionIssuer.ARN, ui.InvokedBy, ui.PrincipalID, ui.AccountID)
	e.CallerAccount = callerAccount(ui, e.Caller)

	// The repository: the ARN in the message is the one the call was about;
	// resources and the request come next.
	arn := messageResource(r.ErrorMessage)
	if !isRepositoryARN(arn) {
		arn = ""
	}
	if arn == "" && len(r.Resources) > 0 && !isNull(r.Resources) {
		var rs []resource
		if err := json.Unmarshal(r.Resources, &rs); err != nil {
			return Event{}, fmt.Errorf("%w: resources: %v", errWrongShape, err)
		}
		for _, res := range rs {
			if isRepositoryARN(res.ARN) {
				arn = res.ARN
				break
			}
		}
	}
	if arn == "" {
		arn = responseRepositoryARN(r.ResponseElements)
	}
	if arn != "" {
		e.RepositoryARN = arn
		if loc, name, ok := awsid.ParseRepositoryARN(arn); ok {
			e.Repository = name
			e.Destination = loc
		}
	}
	if e.Repository == "" && len(r.RequestParameters) > 0 && !isNull(r.RequestParameters) {
		var rp struct {
			RepositoryName string `json:"repositoryName"`
			RegistryID     string `json:"registryId"`
		}
		// Parameters of other shapes belong to other APIs: not an error.
		if json.Unmarshal(r.RequestParameters, &rp) == nil && rp.RepositoryName != "" {
			e.Repository = rp.RepositoryName
			e.Destination = Location{Account: firstNonEmpty(rp.RegistryID, recipientAsDestination(r, ui)), Region: r.AWSRegion}
			if e.Destination.Account != "" && e.Destination.Region != "" && strings.HasPrefix(r.EventSource, "ecr.") {
				e.RepositoryARN = awsid.RepositoryARN(e.Destination, rp.RepositoryName)
			}
		}
	}
	if e.Destination == (Location{}) {
		if acct := recipientAsDestination(r, ui); acct != "" {
			e.Destination = Location{Account: acct, Region: r.AWSRegion}
		}
	}
	if isAccessDenied(r.ErrorCode) || (r.ErrorCode != "" && strings.Contains(r.ErrorMessage, "not authorized to perform")) {
		if d, ok := ParseDenial(r.ErrorMessage); ok {
			e.Denial = d
		} else {
			e.Denial = &Denial{Kind: KindUnknown}
		}
	}
	return e, nil
}

// callerAccount is the caller's account: userIdentity.accountId, else the
// account of the caller's ARN.
func callerAccount(ui userIdentity, caller string) string {
	if awsid.IsAccountID(ui.AccountID) {
		return ui.AccountID
	}
	if parts := strings.SplitN(caller, ":", 6); len(parts) == 6 && parts[0] == "arn" && awsid.IsAccountID(parts[4]) {
		return parts[4]
	}
	if awsid.IsAccountID(caller) {
		return caller
	}
	return ""
}

// recipientAsDestination is the account whose trail holds the record when
// that account can only be the destination: the caller belongs to another
// account (the destination's copy of a cross-account call). In the caller's
// own copy the recipient is the source, so it names no destination.
func recipientAsDestination(r *rawRecord, ui userIdentity) string {
	caller := callerAccount(ui, ui.ARN)
	if caller == "" || caller == r.RecipientAccountID {
		return ""
	}
	return r.RecipientAccountID
}

func isNull(b []byte) bool { return bytes.Equal(bytes.TrimSpace(b), []byte("null")) }

// isAccessDenied reports whether an errorCode is an authorization failure.
func isAccessDenied(code string) bool {
	return strings.HasPrefix(code, "AccessDenied") || code == "Client.UnauthorizedOperation" || code == "UnauthorizedOperation"
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// parseRecordTime reads eventTime ("2024-05-01T10:00:00Z"); CloudTrail Lake
// and some exports use a space instead of the T.
func parseRecordTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, errors.New("missing")
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05", "2006-01-02 15:04:05.000"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("cannot read %q as a time", s)
}

// messageUser returns the principal ARN of "User: <arn> is not authorized".
func messageUser(msg string) string {
	i := strings.Index(msg, "User: ")
	if i < 0 {
		return ""
	}
	rest := msg[i+len("User: "):]
	j := strings.Index(rest, " is not authorized")
	if j < 0 {
		return ""
	}
	return rest[:j]
}

// messageResource returns the ARN after "on resource: ", if any.
func messageResource(msg string) string {
	i := strings.Index(msg, "on resource: ")
	if i < 0 {
		return ""
	}
	rest := msg[i+len("on resource: "):]
	if j := strings.IndexAny(rest, " \t\n\"'"); j >= 0 {
		rest = rest[:j]
	}
	return strings.TrimRight(rest, ".,;")
}

// DeniedAction returns the action of "... is not authorized to perform:
// ecr:ReplicateImage on resource ...", or "" when the message names none.
func DeniedAction(msg string) string {
	_, rest, ok := strings.Cut(msg, "not authorized to perform: ")
	if !ok {
		return ""
	}
	act, _, _ := strings.Cut(rest, " ")
	return strings.TrimRight(act, ".,;")
}

func isRepositoryARN(arn string) bool {
	_, _, ok := awsid.ParseRepositoryARN(arn)
	return ok
}

func responseRepositoryARN(raw json.RawMessage) string {
	if len(raw) == 0 || isNull(raw) {
		return ""
	}
	var re struct {
		Repository struct {
			RepositoryARN string `json:"repositoryArn"`
		} `json:"repository"`
	}
	if json.Unmarshal(raw, &re) != nil || !isRepositoryARN(re.Repository.RepositoryARN) {
		return ""
	}
	return re.Repository.RepositoryARN
}

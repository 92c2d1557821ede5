package awstest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Event is one CloudTrail record the stand-in serves.
type Event struct {
	ID, SharedID string
	Time         time.Time
	// Account and Region are where the record is delivered (recipientAccountId).
	Account, Region string
	Name            string // eventName; "ReplicateImage" when empty
	SourceAccount   string // the replicating account
	DestAccount     string
	DestRegion      string
	Repository      string
	ErrorCode       string
	ErrorMessage    string
	// Caller is the userIdentity ARN; ECR replication's role when empty.
	Caller string
}

// Record is the CloudTrail record of e, as LookupEvents puts it in
// CloudTrailEvent.
func (e Event) Record() map[string]any {
	caller := "arn:aws:sts::" + e.SourceAccount + ":assumed-role/AWSServiceRoleForECRReplication/ECRReplication"
	if e.Caller != "" {
		caller = e.Caller
	}
	arn := fmt.Sprintf("arn:aws:ecr:%s:%s:repository/%s", e.DestRegion, e.DestAccount, e.Repository)
	rec := map[string]any{
		"eventVersion": "1.09",
		"userIdentity": map[string]any{
			"type": "AssumedRole", "arn": caller, "accountId": e.SourceAccount,
			"principalId": "AROAEXAMPLE:ECRReplication", "invokedBy": "ecr.amazonaws.com",
		},
		"eventTime":          e.Time.UTC().Format(time.RFC3339),
		"eventSource":        "ecr.amazonaws.com",
		"eventName":          e.name(),
		"awsRegion":          e.DestRegion,
		"sourceIPAddress":    "ecr.amazonaws.com",
		"userAgent":          "ecr.amazonaws.com",
		"requestParameters":  map[string]any{"registryId": e.DestAccount, "repositoryName": e.Repository},
		"responseElements":   nil,
		"eventID":            e.ID,
		"readOnly":           false,
		"resources":          []map[string]string{{"accountId": e.DestAccount, "type": "AWS::ECR::Repository", "ARN": arn}},
		"eventType":          "AwsApiCall",
		"managementEvent":    true,
		"recipientAccountId": e.Account,
		"eventCategory":      "Management",
	}
	if e.SharedID != "" {
		rec["sharedEventID"] = e.SharedID
	}
	if e.ErrorCode != "" {
		rec["errorCode"] = e.ErrorCode
		rec["errorMessage"] = e.ErrorMessage
	}
	return rec
}

func (e Event) name() string {
	if e.Name == "" {
		return "ReplicateImage"
	}
	return e.Name
}

// DeniedMessage is the IAM message of a ReplicateImage refused for want of
// a registry policy grant.
func DeniedMessage(source, destAccount, destRegion, repo string) string {
	return fmt.Sprintf("User: arn:aws:sts::%s:assumed-role/AWSServiceRoleForECRReplication/ECRReplication is not authorized to perform: ecr:ReplicateImage on resource: arn:aws:ecr:%s:%s:repository/%s because no resource-based policy allows the ecr:ReplicateImage action", source, destRegion, destAccount, repo)
}

// CloudTrail is a loopback stand-in for CloudTrail's LookupEvents (JSON 1.1),
// paging 50 events at a time, newest first, per (account, region) of the
// signing credentials.
type CloudTrail struct {
	URL string
	// ThrottleRate is the share of requests answered ThrottlingException,
	// spread evenly (0.1: every tenth).
	ThrottleRate float64
	// DenyAccounts are accounts whose LookupEvents is AccessDenied.
	DenyAccounts map[string]bool

	accountOf func(key string) string
	mu        sync.Mutex
	events    []Event
	calls     int
	throttled int
	attrKeys  map[string]int
}

// StartCloudTrail serves the stand-in until the test ends. accountOf maps
// a request's access key to its account.
func StartCloudTrail(t testing.TB, accountOf func(key string) string) *CloudTrail {
	ct := &CloudTrail{accountOf: accountOf, attrKeys: map[string]int{}, DenyAccounts: map[string]bool{}}
	srv := httptest.NewServer(http.HandlerFunc(ct.serve))
	t.Cleanup(srv.Close)
	ct.URL = srv.URL
	return ct
}

// Add stores events.
func (ct *CloudTrail) Add(events ...Event) {
	ct.mu.Lock()
	ct.events = append(ct.events, events...)
	ct.mu.Unlock()
}

// Calls returns the requests received and how many were throttled.
func (ct *CloudTrail) Calls() (calls, throttled int) {
	ct.mu.Lock()
	defer ct.mu.Unlock()
	return ct.calls, ct.throttled
}

// AttributeKeys counts the LookupAttributes keys the requests used.
func (ct *CloudTrail) AttributeKeys() map[string]int {
	ct.mu.Lock()
	defer ct.mu.Unlock()
	out := map[string]int{}
	for k, v := range ct.attrKeys {
		out[k] = v
	}
	return out
}

type lookupInput struct {
	LookupAttributes []struct{ AttributeKey, AttributeValue string }
	StartTime        *float64
	EndTime          *float64
	MaxResults       int
	NextToken        string
}

func (ct *CloudTrail) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if !strings.HasSuffix(r.Header.Get("X-Amz-Target"), "CloudTrail_20131101.LookupEvents") {
		ctError(w, 400, "UnknownOperationException", "the stand-in serves LookupEvents only")
		return
	}
	key, region, _ := signer(r)
	account := ct.accountOf(key)
	ct.mu.Lock()
	ct.calls++
	n := ct.calls
	throttle := ct.ThrottleRate > 0 && int(float64(n)*ct.ThrottleRate) > int(float64(n-1)*ct.ThrottleRate)
	if throttle {
		ct.throttled++
	}
	ct.mu.Unlock()
	if throttle {
		ctError(w, 400, "ThrottlingException", "Rate exceeded")
		return
	}
	if ct.DenyAccounts[account] {
		ctError(w, 400, "AccessDeniedException", "User: arn:aws:iam::"+account+":user/moto is not authorized to perform: cloudtrail:LookupEvents because no identity-based policy allows the cloudtrail:LookupEvents action")
		return
	}
	var in lookupInput
	if err := json.Unmarshal(body, &in); err != nil {
		ctError(w, 400, "InvalidParameterException", err.Error())
		return
	}
	if len(in.LookupAttributes) > 1 {
		ctError(w, 400, "InvalidLookupAttributesException", "LookupAttributes can contain only one item")
		return
	}
	name := ""
	for _, a := range in.LookupAttributes {
		ct.mu.Lock()
		ct.attrKeys[a.AttributeKey]++
		ct.mu.Unlock()
		if a.AttributeKey == "EventName" {
			name = a.AttributeValue
		}
	}
	var match []Event
	ct.mu.Lock()
	for _, e := range ct.events {
		if e.Account != account || e.Region != region || (name != "" && e.name() != name) {
			continue
		}
		if in.StartTime != nil && e.Time.Before(epoch(*in.StartTime)) || in.EndTime != nil && e.Time.After(epoch(*in.EndTime)) {
			continue
		}
		match = append(match, e)
	}
	ct.mu.Unlock()
	sort.SliceStable(match, func(i, j int) bool { return match[i].Time.After(match[j].Time) })
	size := in.MaxResults
	if size <= 0 || size > 50 {
		size = 50
	}
	from, _ := strconv.Atoi(in.NextToken)
	if from > len(match) {
		from = len(match)
	}
	to := min(from+size, len(match))
	out := map[string]any{"Events": []any{}}
	var events []any
	for _, e := range match[from:to] {
		rec, _ := json.Marshal(e.Record())
		events = append(events, map[string]any{
			"EventId": e.ID, "EventName": e.name(), "ReadOnly": "false",
			"EventTime": float64(e.Time.Unix()), "EventSource": "ecr.amazonaws.com",
			"Username":        "ECRReplication",
			"Resources":       []map[string]string{{"ResourceType": "AWS::ECR::Repository", "ResourceName": fmt.Sprintf("arn:aws:ecr:%s:%s:repository/%s", e.DestRegion, e.DestAccount, e.Repository)}},
			"CloudTrailEvent": string(rec),
		})
	}
	if events != nil {
		out["Events"] = events
	}
	if to < len(match) {
		out["NextToken"] = strconv.Itoa(to)
	}
	writeJSON(w, 200, out)
}

func epoch(f float64) time.Time { return time.Unix(int64(f), 0) }

func ctError(w http.ResponseWriter, code int, typ, msg string) {
	writeJSON(w, code, map[string]string{"__type": "com.amazonaws.cloudtrail.v20131101#" + typ, "message": msg})
}

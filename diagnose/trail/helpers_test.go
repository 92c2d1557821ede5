package trail

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const (
	srcAccount = "111111111111"
	dstAccount = "222222222222"
	slrARN     = "arn:aws:sts::111111111111:assumed-role/AWSServiceRoleForECRReplication/ECRReplication"
	seedMsg    = "User: arn:aws:sts::111111111111:assumed-role/AWSServiceRoleForECRReplication/ECRReplication is not authorized to perform: ecr:ReplicateImage on resource: arn:aws:ecr:ap-northeast-1:222222222222:repository/my-repo because no resource-based policy allows the ecr:ReplicateImage action"
)

// rec is a CloudTrail record in CloudTrail's own key order.
type rec struct {
	EventVersion string `json:"eventVersion"`
	UserIdentity struct {
		Type        string `json:"type"`
		PrincipalID string `json:"principalId,omitempty"`
		ARN         string `json:"arn,omitempty"`
		AccountID   string `json:"accountId,omitempty"`
		InvokedBy   string `json:"invokedBy,omitempty"`
	} `json:"userIdentity"`
	EventTime         string `json:"eventTime"`
	EventSource       string `json:"eventSource"`
	EventName         string `json:"eventName"`
	AWSRegion         string `json:"awsRegion"`
	SourceIP          string `json:"sourceIPAddress"`
	UserAgent         string `json:"userAgent"`
	ErrorCode         string `json:"errorCode,omitempty"`
	ErrorMessage      string `json:"errorMessage,omitempty"`
	RequestParameters any    `json:"requestParameters"`
	ResponseElements  any    `json:"responseElements"`
	RequestID         string `json:"requestID"`
	EventID           string `json:"eventID"`
	ReadOnly          bool   `json:"readOnly"`
	Resources         []struct {
		ARN       string `json:"ARN"`
		AccountID string `json:"accountId"`
		Type      string `json:"type,omitempty"`
	} `json:"resources,omitempty"`
	EventType          string `json:"eventType"`
	RecipientAccountID string `json:"recipientAccountId"`
	SharedEventID      string `json:"sharedEventID,omitempty"`
}

// seedRec is the canonical failing replication: source 111111111111 denied
// ecr:ReplicateImage on 222222222222's my-repo in ap-northeast-1.
func seedRec(id string) rec {
	r := rec{
		EventVersion: "1.08", EventTime: "2024-05-01T10:00:00Z", EventSource: "ecr.amazonaws.com",
		EventName: "ReplicateImage", AWSRegion: "ap-northeast-1", SourceIP: "ecr.amazonaws.com",
		UserAgent: "ecr.amazonaws.com", ErrorCode: "AccessDenied", ErrorMessage: seedMsg,
		RequestParameters: map[string]any{"registryId": dstAccount, "repositoryName": "my-repo"},
		RequestID:         "req-" + id, EventID: id, EventType: "AwsApiCall", RecipientAccountID: srcAccount,
	}
	r.UserIdentity.Type = "AssumedRole"
	r.UserIdentity.ARN = slrARN
	r.UserIdentity.AccountID = srcAccount
	r.UserIdentity.InvokedBy = "ecr.amazonaws.com"
	return r
}

// withRepo points a record at another repository (message and parameters).
func withRepo(r rec, name string) rec {
	r.ErrorMessage = strings.ReplaceAll(r.ErrorMessage, "repository/my-repo ", "repository/"+name+" ")
	r.RequestParameters = map[string]any{"registryId": dstAccount, "repositoryName": name}
	return r
}

// succeeded turns a record into a successful call.
func succeeded(r rec) rec {
	r.ErrorCode, r.ErrorMessage = "", ""
	return r
}

func marshal(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// trailFile is a trail log file as CloudTrail writes it: one line.
func trailFile(t testing.TB, recs ...rec) []byte {
	t.Helper()
	if recs == nil {
		recs = []rec{}
	}
	return marshal(t, map[string]any{"Records": recs})
}

func gz(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(b)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func writeFile(t testing.TB, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func ids(evs []Event) []string {
	out := []string{}
	for _, e := range evs {
		out = append(out, e.EventID)
	}
	return out
}

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }

package trail

import (
	"io"
	"strings"
	"time"

	"github.com/ecrdoctor/ecrdoctor/diagnose/awsid"
)

// Location is where a replicated image was headed: the destination registry.
type Location = awsid.Location

// Denial is an AccessDenied message taken apart: was it implicit (nothing
// allowed the action) or explicit (a Deny statement), and which kind of policy
// the message names.
type Denial struct {
	Kind       string `json:"kind"`        // "implicit" or "explicit"
	PolicyType string `json:"policy_type"` // e.g. "resource-based policy"; "" when the message names none
	// Via is, in the "... in a VPC endpoint policy transitively through a
	// service control policy" form, the policy the request went through
	// (the first named); PolicyType is then the second, the one that denied
	// it and the one to fix (IAM user guide: "check for an explicit Deny
	// statement ... in your SCPs").
	Via string `json:"via,omitempty"`
	// PolicyARN is the denying policy, named by the enhanced messages in
	// same-account and same-organization requests.
	PolicyARN string `json:"policy_arn,omitempty"`
	// AuthorizationID is the id the newest messages carry for
	// GetRequestAuthorizationDetails.
	AuthorizationID string `json:"authorization_id,omitempty"`
}

// Denial kinds.
const (
	KindImplicit = "implicit"
	KindExplicit = "explicit"
	// KindUnknown is an authorization failure whose message names no policy
	// (services that do not use the IAM message format).
	KindUnknown = "unknown"
)

// Policy types, spelled as the IAM messages spell them.
const (
	PolicyResource    = "resource-based policy"
	PolicyIdentity    = "identity-based policy"
	PolicySCP         = "service control policy"
	PolicyRCP         = "resource control policy"
	PolicyBoundary    = "permissions boundary"
	PolicySession     = "session policy"
	PolicyVPCEndpoint = "VPC endpoint policy"
	PolicyTrust       = "role trust policy"
)

// Event is one CloudTrail record of interest, typed.
type Event struct {
	EventID       string    `json:"event_id"`
	SharedEventID string    `json:"shared_event_id,omitempty"`
	Time          time.Time `json:"time"`
	Account       string    `json:"account"` // recipientAccountId: the account whose trail holds the record
	Region        string    `json:"region"`
	EventName     string    `json:"event_name"`
	Caller        string    `json:"caller"`
	CallerType    string    `json:"caller_type,omitempty"`
	// CallerAccount is the caller's account (userIdentity.accountId or the
	// caller ARN's), when the record gives it.
	CallerAccount string   `json:"caller_account,omitempty"`
	ErrorCode     string   `json:"error_code"`
	ErrorMessage  string   `json:"error_message"`
	Repository    string   `json:"repository"`
	RepositoryARN string   `json:"repository_arn,omitempty"`
	Destination   Location `json:"destination"`
	Denial        *Denial  `json:"denial,omitempty"` // nil when the record is not an authorization failure
	// Source is the file (or the AWS call, Options.Sources) the record came
	// from, with its index there; zero for a query engine's row.
	Source awsid.Source `json:"source,omitzero"`
}

// replicationRole is the service-linked role ECR replication runs as.
const replicationRole = "AWSServiceRoleForECRReplication"

// IsReplication reports whether the event is a ReplicateImage or
// CreateRepository call made by ECR replication's service-linked role.
func (e Event) IsReplication() bool {
	if e.EventName != "ReplicateImage" && e.EventName != "CreateRepository" {
		return false
	}
	if strings.Contains(e.Caller, "/"+replicationRole+"/") || strings.HasSuffix(e.Caller, "/"+replicationRole) {
		return true
	}
	// The destination account's copy of a cross-account call may name only
	// the service: userIdentity {"type":"AWSService","invokedBy":"ecr.amazonaws.com"},
	// or the source account invoked by replication ("invokedBy":
	// "replication.ecr.amazonaws.com", no ARN).
	return e.Caller == "replication.ecr.amazonaws.com" || e.CallerType == "AWSService" && e.Caller == "ecr.amazonaws.com"
}

// Failed reports whether the call ended in an error.
func (e Event) Failed() bool { return e.ErrorCode != "" }

// Filter chooses which events Read keeps.
type Filter int

const (
	// FilterFailures keeps replication calls that were denied (the default):
	// the error code is AccessDenied, AccessDeniedException or the message
	// says "not authorized to perform". Other errors show with FilterAll.
	FilterFailures Filter = iota
	// FilterAll also keeps successful replication calls.
	FilterAll
	// FilterAny keeps every AccessDenied event, whatever the action and caller.
	FilterAny
)

// Options narrow and tune a Read.
type Options struct {
	Repository string // exact repository name or ARN; "" keeps all
	// Repositories keeps the events of any of these names or ARNs, for a
	// question about many repositories at once (scan); Repository, when
	// set too, is one more.
	Repositories      []string
	Since, Until      time.Time // zero means unbounded
	Accounts, Regions []string  // keep only these accounts/regions (folders and records)
	Filter            Filter
	Strict            bool // the first bad file or record is fatal
	// DeliveryMargin is how long after Until a trail log file may be
	// delivered and still hold events before Until; 0 means
	// DefaultDeliveryMargin. Files and date folders delivered later are
	// not opened.
	DeliveryMargin time.Duration
	Workers        int       // files read at once; 0 means GOMAXPROCS
	Progress       io.Writer // progress line (a terminal); nil for none
	// Sources say what files among the paths stand for, where it is not
	// the file alone: a snapshot's lookup-events file is an AWS call
	// (with no file at all in a live run, whose folder is temporary). Its
	// events' sources, its warnings and Result.Incomplete name it so.
	// Other files are named by their path.
	Sources map[string]awsid.Source
}

// source is what the file at path is, as a source of evidence.
func (o Options) source(path string) awsid.Source {
	if s, ok := o.Sources[path]; ok {
		return s
	}
	return awsid.Source{File: path}
}

// Repos returns the repositories asked, Repository first; none keeps all.
func (o Options) Repos() []string {
	if o.Repository == "" {
		return o.Repositories
	}
	if len(o.Repositories) == 0 {
		return []string{o.Repository}
	}
	return append([]string{o.Repository}, o.Repositories...)
}

// Scanned counts what a Read went through.
type Scanned struct {
	Files        int `json:"files"`
	Records      int `json:"records"`
	SkippedFiles int `json:"skipped_files"`
	// PrunedFolders and PrunedFiles are the folders and files of the trail
	// layout left unopened because their accounts, regions or delivery
	// times are outside the question.
	PrunedFolders int `json:"pruned_folders"`
	PrunedFiles   int `json:"pruned_files"`
}

// Result is what a Read found.
type Result struct {
	Events   []Event  `json:"events"`   // newest first, one per event id; never nil
	Scanned  Scanned  `json:"scanned"`  //
	Warnings []string `json:"warnings"` // "{file}: {what was wrong}"; never nil
	// Incomplete lists the files that could not be read to their end
	// (damaged gzip, truncated, invalid JSON, a record over the size cap),
	// in walk order; never nil. Events decoded before the damage are kept,
	// but such a scan is not a clean one.
	Incomplete []string `json:"incomplete_files"`
	// Unreadable counts the files of Scanned.Files that gave nothing: not
	// JSON, truncated before their first record, not CloudTrail.
	Unreadable int `json:"-"`
}

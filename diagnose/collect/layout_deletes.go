package collect

import (
	"cmp"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/ecrdoctor/ecrdoctor/diagnose"
	"github.com/ecrdoctor/ecrdoctor/diagnose/awsid"
)

// What explains an image gone from a destination that deletions are
// replicated to: the source repository's lifecycle policy,
// DIR/<source>/<region>/get-lifecycle-policy/<repo>.json
// (aws ecr get-lifecycle-policy --repository-name <repo>), and the
// BatchDeleteImage calls in the source's CloudTrail,
// DIR/<source>/<region>/lookup-events-BatchDeleteImage.json
// (aws cloudtrail lookup-events --lookup-attributes
// AttributeKey=EventName,AttributeValue=BatchDeleteImage).
const (
	LifecyclePolicyDir = "get-lifecycle-policy"
	DeleteEventsName   = LookupEventsPrefix + "-BatchDeleteImage"
	// RulePutsName holds the source's PutReplicationConfiguration calls,
	// when the rules were written (read where an image was never attempted).
	RulePutsName = LookupEventsPrefix + "-PutReplicationConfiguration"
)

// LifecyclePolicyName is the call name for a repository's lifecycle policy.
func LifecyclePolicyName(repo string) string { return LifecyclePolicyDir + "/" + repo }

func isLifecycleCall(name string) bool {
	repo, ok := strings.CutPrefix(name, LifecyclePolicyDir+"/")
	return ok && awsid.IsRepositoryName(repo)
}

// readLifecycleCall decodes one get-lifecycle-policy/<repo>.json into reg.
func readLifecycleCall(reg *diagnose.Registry, name string, c *callFiles) error {
	repo := strings.TrimPrefix(name, LifecyclePolicyDir+"/")
	r, err := readInto(c, func(v *diagnose.LifecyclePolicyOutput, raw map[string]json.RawMessage) error {
		if err := requireFields(raw, "lifecyclePolicyText"); err != nil {
			return err
		}
		if v.RepositoryName != "" && v.RepositoryName != repo {
			return fmt.Errorf("repositoryName is %q but the file is named for repository %q", v.RepositoryName, repo)
		}
		if err := checkRegistryID("registryId", v.RegistryID, reg.Location.Account); err != nil {
			return err
		}
		if !json.Valid([]byte(v.LifecyclePolicyText)) {
			return fmt.Errorf("lifecyclePolicyText is not JSON")
		}
		return nil
	})
	reg.LifecyclePolicies[repo] = r
	return err
}

// readTrailCallsCall decodes lookup-events-<EventName>.json, what
// `aws cloudtrail lookup-events` prints, into the calls of that API (the
// facts keep those of the snapshot's repository).
func readTrailCallsCall(reg *diagnose.Registry, name string, c *callFiles) error {
	eventName := strings.TrimPrefix(name, LookupEventsPrefix+"-")
	r, err := readInto(c, func(v *diagnose.TrailCalls, raw map[string]json.RawMessage) error {
		if err := requireFields(raw, "Events"); err != nil {
			return err
		}
		var events []struct {
			EventID         string           `json:"EventId"`
			EventName       string           `json:"EventName"`
			EventTime       diagnose.CLITime `json:"EventTime"`
			Username        string           `json:"Username"`
			CloudTrailEvent string           `json:"CloudTrailEvent"`
		}
		if err := json.Unmarshal(raw["Events"], &events); err != nil {
			return fmt.Errorf("Events: %v", err)
		}
		for i, e := range events {
			if e.EventName != eventName {
				return fmt.Errorf("Events[%d]: EventName is %q, not %s", i, e.EventName, eventName)
			}
			var rec struct {
				UserIdentity struct {
					ARN string `json:"arn"`
				} `json:"userIdentity"`
				ErrorCode         string `json:"errorCode"`
				RequestParameters struct {
					RepositoryName string `json:"repositoryName"`
					ImageIDs       []struct {
						ImageTag    string `json:"imageTag"`
						ImageDigest string `json:"imageDigest"`
					} `json:"imageIds"`
					ReplicationConfiguration *diagnose.ReplicationConfiguration `json:"replicationConfiguration"`
				} `json:"requestParameters"`
			}
			if err := json.Unmarshal([]byte(e.CloudTrailEvent), &rec); err != nil {
				return fmt.Errorf("Events[%d].CloudTrailEvent: %v", i, err)
			}
			d := diagnose.TrailCall{EventID: e.EventID, Time: e.EventTime.Time, Caller: cmp.Or(rec.UserIdentity.ARN, e.Username), Repository: rec.RequestParameters.RepositoryName, ErrorCode: rec.ErrorCode}
			for _, id := range rec.RequestParameters.ImageIDs {
				d.Images = append(d.Images, cmp.Or(id.ImageTag, id.ImageDigest))
			}
			if rc := rec.RequestParameters.ReplicationConfiguration; rc != nil {
				d.Rules, d.RulesKnown = rc.Rules, true
			}
			v.Events = append(v.Events, d)
		}
		return nil
	})
	for i := range r.Value.Events {
		r.Value.Events[i].Source = r.Source
	}
	if eventName == "BatchDeleteImage" {
		reg.Deletes = r
	} else {
		reg.RulePuts = r
	}
	return err
}

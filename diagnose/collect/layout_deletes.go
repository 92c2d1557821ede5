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

// readDeleteEventsCall decodes lookup-events-BatchDeleteImage.json, what
// `aws cloudtrail lookup-events` prints (the facts keep those of the
// snapshot's repository).
func readDeleteEventsCall(reg *diagnose.Registry, c *callFiles) error {
	r, err := readInto(c, func(v *diagnose.DeleteEvents, raw map[string]json.RawMessage) error {
		if err := requireFields(raw, "Events"); err != nil {
			return err
		}
		var out struct {
			Events []struct {
				EventID         string           `json:"EventId"`
				EventName       string           `json:"EventName"`
				EventTime       diagnose.CLITime `json:"EventTime"`
				Username        string           `json:"Username"`
				CloudTrailEvent string           `json:"CloudTrailEvent"`
			} `json:"Events"`
		}
		if err := json.Unmarshal(raw["Events"], &out.Events); err != nil {
			return fmt.Errorf("Events: %v", err)
		}
		for i, e := range out.Events {
			if e.EventName != "BatchDeleteImage" {
				return fmt.Errorf("Events[%d]: EventName is %q, not BatchDeleteImage", i, e.EventName)
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
				} `json:"requestParameters"`
			}
			if err := json.Unmarshal([]byte(e.CloudTrailEvent), &rec); err != nil {
				return fmt.Errorf("Events[%d].CloudTrailEvent: %v", i, err)
			}
			d := diagnose.DeleteEvent{EventID: e.EventID, Time: e.EventTime.Time, Caller: rec.UserIdentity.ARN, Repository: rec.RequestParameters.RepositoryName, ErrorCode: rec.ErrorCode}
			if d.Caller == "" {
				d.Caller = e.Username
			}
			for _, id := range rec.RequestParameters.ImageIDs {
				d.Images = append(d.Images, cmp.Or(id.ImageTag, id.ImageDigest))
			}
			v.Events = append(v.Events, d)
		}
		return nil
	})
	for i := range r.Value.Events {
		r.Value.Events[i].Source = r.Source
	}
	reg.Deletes = r
	return err
}

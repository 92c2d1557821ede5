package collect

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/ecrdoctor/ecrdoctor/diagnose"
)

// readBackfillCall decodes list-replication-backfills.json or one
// describe-replication-backfill-results/<id>.json into reg.
func readBackfillCall(reg *diagnose.Registry, name string, c *callFiles) error {
	acct := reg.Location.Account
	if name == ListBackfillsFile {
		r, err := readInto(c, func(v *diagnose.ListReplicationBackfillsOutput, raw map[string]json.RawMessage) error {
			if err := requireFields(raw, "backfills"); err != nil {
				return err
			}
			if v.RegistryID != "" {
				if err := checkRegistryID("registryId", v.RegistryID, acct); err != nil {
					return err
				}
			}
			for i, b := range v.Backfills {
				if b.ReplicationBackfillID == "" || b.Status == "" || b.Destination.Region == "" || b.Destination.RegistryID == "" {
					return fmt.Errorf("backfills[%d]: replicationBackfillId, status and destination (region, registryId) are all required", i)
				}
			}
			return nil
		})
		reg.Backfills = r
		return err
	}
	id := strings.TrimPrefix(name, BackfillResultsDir+"/")
	r, err := readInto(c, func(v *diagnose.DescribeReplicationBackfillResultsOutput, raw map[string]json.RawMessage) error {
		if err := requireFields(raw, "replicationBackfillId", "results"); err != nil {
			return err
		}
		if v.ReplicationBackfillID != id {
			return fmt.Errorf("replicationBackfillId is %q but the file is named for backfill %q", v.ReplicationBackfillID, id)
		}
		for i, res := range v.Results {
			if res.RepositoryName == "" || res.Status == "" {
				return fmt.Errorf("results[%d]: repositoryName and status are required", i)
			}
		}
		return nil
	})
	reg.BackfillResults[id] = r
	return err
}

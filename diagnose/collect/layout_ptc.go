package collect

import (
	"encoding/json"
	"fmt"

	"github.com/ecrdoctor/ecrdoctor/diagnose"
	"github.com/ecrdoctor/ecrdoctor/diagnose/awsid"
)

// PullThroughCacheFile is a destination's pull-through-cache rules:
// DIR/<destination>/<region>/describe-pull-through-cache-rules.json
// (aws ecr describe-pull-through-cache-rules).
const PullThroughCacheFile = "describe-pull-through-cache-rules"

// RegionOptStatusFile is an account's opt-in status of the region of its
// folder: DIR/<account>/<region>/get-region-opt-status.json
// (aws account get-region-opt-status --region-name <region>, with that
// account's credentials).
const RegionOptStatusFile = "get-region-opt-status"

// readPullThroughCacheCall decodes describe-pull-through-cache-rules.json.
func readPullThroughCacheCall(reg *diagnose.Registry, c *callFiles) error {
	acct := reg.Location.Account
	r, err := readInto(c, func(v *diagnose.DescribePullThroughCacheRulesOutput, raw map[string]json.RawMessage) error {
		if err := requireFields(raw, "pullThroughCacheRules"); err != nil {
			return err
		}
		for i, rule := range v.Rules {
			if rule.EcrRepositoryPrefix == "" || rule.UpstreamRegistryURL == "" {
				return fmt.Errorf("pullThroughCacheRules[%d]: ecrRepositoryPrefix or upstreamRegistryUrl is missing", i)
			}
			if err := checkRegistryID(fmt.Sprintf("pullThroughCacheRules[%d].registryId", i), rule.RegistryID, acct); err != nil {
				return err
			}
		}
		return nil
	})
	reg.PullThroughCache = r
	return err
}

// readRegionOptStatusCall decodes get-region-opt-status.json: it must be
// about the region of its folder.
func readRegionOptStatusCall(reg *diagnose.Registry, c *callFiles) error {
	r, err := readInto(c, func(v *diagnose.RegionOptStatusOutput, raw map[string]json.RawMessage) error {
		if err := requireFields(raw, "RegionName", "RegionOptStatus"); err != nil {
			return err
		}
		if !awsid.IsRegion(v.RegionName) || v.RegionName != reg.Location.Region {
			return fmt.Errorf("RegionName is %q but the file is in the folder of region %s", v.RegionName, reg.Location.Region)
		}
		switch v.RegionOptStatus {
		case "ENABLED", "ENABLING", "DISABLING", "DISABLED", "ENABLED_BY_DEFAULT":
			return nil
		}
		return fmt.Errorf("RegionOptStatus is %q, not one of ENABLED, ENABLING, DISABLING, DISABLED, ENABLED_BY_DEFAULT", v.RegionOptStatus)
	})
	reg.RegionOptStatus = r
	return err
}

package collect

import (
	"encoding/json"
	"fmt"

	"github.com/ecrdoctor/ecrdoctor/diagnose"
)

// TemplatesFile is a destination's repository creation templates:
// DIR/<destination>/<region>/describe-repository-creation-templates.json
// (aws ecr describe-repository-creation-templates).
const TemplatesFile = "describe-repository-creation-templates"

// readTemplatesCall decodes describe-repository-creation-templates.json.
func readTemplatesCall(reg *diagnose.Registry, c *callFiles) error {
	acct := reg.Location.Account
	r, err := readInto(c, func(v *diagnose.DescribeRepositoryCreationTemplatesOutput, raw map[string]json.RawMessage) error {
		if err := requireFields(raw, "repositoryCreationTemplates"); err != nil {
			return err
		}
		if v.RegistryID != "" {
			if err := checkRegistryID("registryId", v.RegistryID, acct); err != nil {
				return err
			}
		}
		for i, t := range v.Templates {
			if t.Prefix == "" {
				return fmt.Errorf("repositoryCreationTemplates[%d]: prefix is missing", i)
			}
		}
		return nil
	})
	reg.Templates = r
	return err
}

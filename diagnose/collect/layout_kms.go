package collect

import (
	"encoding/json"
	"strings"

	"github.com/ecrdoctor/ecrdoctor/diagnose"
)

// KeyPolicyDir holds the key policy of the KMS key a destination's
// creation template encrypts replicated repositories with:
// DIR/<destination>/<region>/get-key-policy/<key-id>.json
// (aws kms get-key-policy --key-id <key-id> --policy-name default).
const KeyPolicyDir = "get-key-policy"

// KeyPolicyName is the call name for a key's policy.
func KeyPolicyName(keyID string) string { return KeyPolicyDir + "/" + keyID }

func isKeyPolicyCall(name string) bool {
	id, ok := strings.CutPrefix(name, KeyPolicyDir+"/")
	return ok && diagnose.IsKeyID(id)
}

// readKeyPolicyCall decodes one get-key-policy/<key-id>.json into reg.
func readKeyPolicyCall(reg *diagnose.Registry, name string, c *callFiles) error {
	r, err := readInto(c, func(v *diagnose.KeyPolicyOutput, raw map[string]json.RawMessage) error {
		return requireFields(raw, "Policy")
	})
	reg.KeyPolicies[strings.TrimPrefix(name, KeyPolicyDir+"/")] = r
	return err
}

package diagnose

import (
	"fmt"
	"strings"

	"github.com/ecrdoctor/ecrdoctor/diagnose/policy"
)

// EvidenceKeyPolicy is a KMS key's policy.
const EvidenceKeyPolicy = "key_policy"

// KeyPolicyFact is the policy of the KMS key the creation template that
// replication applies encrypts with (kms get-key-policy).
type KeyPolicyFact struct {
	KeyARN string
	Policy PolicyFact
}

// keyPolicyFact is the key policy read for the destination's replication
// template key, or nil when none was read.
func keyPolicyFact(s *Snapshot, dst Location, templates *TemplatesFact, repo string) *KeyPolicyFact {
	if templates == nil {
		return nil
	}
	key := ReplicationTemplateKey(templates.Templates, repo)
	loc, id, ok := KeyOf(key)
	reg := s.Registry(dst)
	if !ok || loc != dst || reg == nil {
		return nil
	}
	if kp, read := reg.KeyPolicies[id]; read && kp.OK() {
		return &KeyPolicyFact{KeyARN: key, Policy: PolicyFact{State: PolicyPresent, Text: kp.Value.Policy, Source: kp.Source}}
	}
	return nil
}

// keyActions are what the template's role needs of the key to create a
// KMS-encrypted repository (the user guide's creation template role).
var keyActions = []string{"kms:CreateGrant", "kms:DescribeKey"}

// keyPolicyDenies says which of keyActions the key policy does not let
// role (the template's customRoleArn, acting for ECR) do, and why; nil
// when it allows them all, or cannot be evaluated. A grant of the key's
// account (the default key policy) leaves it to the role's own IAM
// policies, which ecrdoctor assumes allow it.
func keyPolicyDenies(kp *KeyPolicyFact, role string, dst Location) []string {
	doc, err := policy.Parse([]byte(kp.Policy.Text))
	if err != nil {
		return nil
	}
	p, err := policy.ParsePrincipal(role)
	if err != nil || p.Type != policy.TypeRole {
		return nil
	}
	session := policy.Principal{ARN: "arn:aws:sts::" + p.Account + ":assumed-role/" + p.Name + "/ecr", Account: p.Account, Type: policy.TypeAssumedRole, Name: p.Name, RoleARN: role, Session: "ecr"}
	var denied []string
	for _, action := range keyActions {
		res := policy.Evaluate(doc, policy.Request{Principal: session, Action: action, Resource: kp.KeyARN, ResourceAccount: dst.Account,
			Context: map[string][]string{
				"kms:ViaService":            {"ecr." + dst.Region + ".amazonaws.com"},
				"kms:CallerAccount":         {p.Account},
				"kms:GrantIsForAWSResource": {"true"},
				"aws:SecureTransport":       {"true"},
			}})
		if res.Decision != policy.DecisionAllow {
			denied = append(denied, action)
		}
	}
	return denied
}

// keyPolicyReason is KMS_KEY_NOT_USABLE's reason when the key policy does
// not let the template's role use the key, with the key policy as evidence.
func keyPolicyReason(d *destination, t *RepositoryCreationTemplate) (string, *Evidence) {
	kp := d.KeyPolicy
	if kp == nil || t.CustomRoleArn == "" || kp.KeyARN != t.EncryptionConfiguration.KmsKey {
		return "", nil
	}
	denied := keyPolicyDenies(kp, t.CustomRoleArn, d.Destination)
	if len(denied) == 0 {
		return "", nil
	}
	return fmt.Sprintf("the policy of its key does not let the template's role %s use it (%s)", t.CustomRoleArn, strings.Join(denied, ", ")),
		&Evidence{Kind: EvidenceKeyPolicy, Source: kp.Policy.Source, Text: compactJSON(kp.Policy.Text)}
}

package diagnose

import (
	"regexp"
	"strings"
)

// KeyPolicyOutput is `aws kms get-key-policy --key-id K --policy-name
// default`: the key policy of the KMS key a creation template encrypts
// replicated repositories with.
type KeyPolicyOutput struct {
	Policy     string `json:"Policy"`
	PolicyName string `json:"PolicyName,omitempty"`
}

var keyIDRE = regexp.MustCompile(`^(mrk-[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$`)

// IsKeyID reports whether s is a KMS key id (a UUID, or mrk-<hex> for a
// multi-Region key): only such a name becomes a file name.
func IsKeyID(s string) bool { return keyIDRE.MatchString(s) }

// KeyOf splits a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID) into its
// registry location and key id; ok is false for anything else (an alias).
func KeyOf(arn string) (loc Location, id string, ok bool) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "kms" || !strings.HasPrefix(parts[5], "key/") {
		return Location{}, "", false
	}
	id = strings.TrimPrefix(parts[5], "key/")
	if !IsKeyID(id) {
		return Location{}, "", false
	}
	return Location{Account: parts[4], Region: parts[3]}, id, true
}

// ReplicationTemplateKey is the KMS key ARN of the creation template ECR
// applies to repo when replication creates it, or "" when that template
// does not encrypt with a KMS key of its own.
func ReplicationTemplateKey(ts []RepositoryCreationTemplate, repo string) string {
	t, _ := replicationTemplate(ts, repo)
	if t == nil || t.EncryptionConfiguration == nil || !strings.HasPrefix(t.EncryptionConfiguration.EncryptionType, "KMS") {
		return ""
	}
	return t.EncryptionConfiguration.KmsKey
}

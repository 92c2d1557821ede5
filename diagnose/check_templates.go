package diagnose

import (
	"fmt"
	"slices"
	"strings"
)

// Codes of the destination's repository creation templates (failure-mode
// note FM-17, FM-19).
const (
	CodeCreationTemplateNotApplied = "CREATION_TEMPLATE_NOT_APPLIED"
	CodeKMSKeyNotUsable            = "KMS_KEY_NOT_USABLE"
)

const docCreationTemplates = "https://docs.aws.amazon.com/AmazonECR/latest/userguide/repository-creation-templates.html"

// TemplatesFact is the destination's repository creation templates.
type TemplatesFact struct {
	Source    Source
	Templates []RepositoryCreationTemplate
}

// templateCovers reports whether a template's prefix applies to repo:
// ROOT applies to every repository, any other prefix is a namespace ("There
// is always an assumed / applied to the end of the prefix").
func templateCovers(prefix, repo string) bool {
	return prefix == "ROOT" || strings.HasPrefix(repo, strings.TrimSuffix(prefix, "/")+"/")
}

// replicationTemplate is the template ECR applies to repo when replication
// creates it (the longest prefix among those for REPLICATION), and the
// templates that look meant for it but do not apply: a prefix that covers
// it without REPLICATION, or one for REPLICATION that is a plain string
// prefix of the name only.
func replicationTemplate(ts []RepositoryCreationTemplate, repo string) (applied *RepositoryCreationTemplate, missed []string) {
	for i := range ts {
		t := &ts[i]
		forReplication := slices.Contains(t.AppliedFor, "REPLICATION")
		switch {
		case templateCovers(t.Prefix, repo) && forReplication:
			if applied == nil || applied.Prefix == "ROOT" || len(t.Prefix) > len(applied.Prefix) && t.Prefix != "ROOT" {
				applied = t
			}
		case templateCovers(t.Prefix, repo):
			missed = append(missed, fmt.Sprintf("template %q applies to %s only, not REPLICATION", t.Prefix, strings.Join(t.AppliedFor, ", ")))
		case forReplication && t.Prefix != "ROOT" && strings.HasPrefix(repo, t.Prefix):
			missed = append(missed, fmt.Sprintf("template %q is for REPLICATION, but a template prefix is a namespace: it covers %s/..., not %s", t.Prefix, strings.TrimSuffix(t.Prefix, "/"), repo))
		}
	}
	return applied, missed
}

// creationTemplateNotApplied: the destination repository does not exist
// yet, so replication will create it, and a template that was meant to
// set it up will not apply.
func creationTemplateNotApplied(d *destination) *Finding {
	if d.Templates == nil || d.RepositoryExists == TriYes {
		return nil
	}
	applied, missed := replicationTemplate(d.Templates.Templates, d.Repository)
	if applied != nil || len(missed) == 0 {
		return nil
	}
	return &Finding{
		Summary: fmt.Sprintf("No repository creation template will apply when replication creates %s in %s: %s.", d.Repository, d.Destination, strings.Join(missed, "; ")),
		Detail: "A repository that replication creates gets the settings of a template only when the template's appliedFor includes REPLICATION and its prefix covers the name " +
			"(prefix team matches team/..., ROOT matches everything). Otherwise it gets the defaults: mutable tags, AES-256 encryption, no repository or lifecycle policy. " +
			"Templates never change repositories that already exist.",
		Evidence: []Evidence{{Kind: EvidenceCreationTemplate, Source: d.Templates.Source, Text: strings.Join(missed, "; ")}},
		Fix: &Fix{Steps: []string{
			fmt.Sprintf("Add REPLICATION to the template's appliedFor, or give it a prefix that covers %s (its namespace, or ROOT): aws ecr update-repository-creation-template --region %s --prefix <prefix> --applied-for REPLICATION ..., with account %s's credentials, before the first image replicates.",
				d.Repository, shellQuote(d.Destination.Region), d.Destination.Account),
		}},
	}
}

// kmsKeyNotUsable: the template replication applies encrypts with KMS but
// names no customRoleArn, a key of another region, or a key whose policy
// (where it was read) does not let that role use it: ECR cannot create the
// repository, and replication into it fails. "[A role] must be provided
// when using repository tags and/or KMS in the template, otherwise the
// repository creation will fail"; the key "must exist in the same Region as
// the repository" (the user guide's repository creation templates pages).
func kmsKeyNotUsable(d *destination) *Finding {
	if d.Templates == nil || d.RepositoryExists == TriYes {
		return nil
	}
	t, _ := replicationTemplate(d.Templates.Templates, d.Repository)
	if t == nil || t.EncryptionConfiguration == nil || !strings.HasPrefix(t.EncryptionConfiguration.EncryptionType, "KMS") {
		return nil
	}
	key := t.EncryptionConfiguration.KmsKey
	var why []string
	if t.CustomRoleArn == "" {
		why = append(why, "it names no customRoleArn, which ECR needs to create a KMS-encrypted repository")
	}
	if parts := strings.Split(key, ":"); len(parts) > 3 && strings.HasPrefix(key, "arn:") && parts[3] != d.Destination.Region {
		why = append(why, fmt.Sprintf("its key %s is in %s, and a repository's key must be in the repository's region %s", key, parts[3], d.Destination.Region))
	}
	reason, keyEvidence := keyPolicyReason(d, t)
	if reason != "" {
		why = append(why, reason)
	}
	if len(why) == 0 {
		return nil
	}
	f := &Finding{
		Summary: fmt.Sprintf("Replication cannot create %s in %s: the creation template %q encrypts with %s but %s.", d.Repository, d.Destination, t.Prefix, t.EncryptionConfiguration.EncryptionType, strings.Join(why, ", and ")),
		Detail: "The repository does not exist in the destination yet, so the first replication creates it with this template. The replication role's own policy has no KMS permissions: " +
			"ECR creates a KMS-encrypted repository (and the key grant) as the template's customRoleArn, a role trusted by ecr.amazonaws.com with kms:CreateGrant, kms:RetireGrant and kms:DescribeKey on the key, " +
			"and the key policy must let that role use it. Encryption cannot be changed once the repository exists.",
		Evidence: []Evidence{{Kind: EvidenceCreationTemplate, Source: d.Templates.Source,
			Text: fmt.Sprintf("template %q: encryptionType %s, kmsKey %q, customRoleArn %q", t.Prefix, t.EncryptionConfiguration.EncryptionType, key, t.CustomRoleArn)}},
		Fix: &Fix{Steps: []string{
			fmt.Sprintf("Give the template a customRoleArn (a role in %s trusted by ecr.amazonaws.com, allowed ecr:CreateRepository, ecr:ReplicateImage, ecr:TagResource and kms:CreateGrant, kms:RetireGrant, kms:DescribeKey on the key) and a key in %s whose key policy lets that role use it; "+
				"or create %s in %s with its KMS key yourself before the next push.", d.Destination.Account, d.Destination.Region, d.Repository, d.Destination),
		}},
	}
	if keyEvidence != nil {
		f.Evidence = append(f.Evidence, *keyEvidence)
		step := fmt.Sprintf("In the key policy, allow %s kms:CreateGrant and kms:DescribeKey on the key (the default key policy's statement for account %s, with those actions in the role's own policy, does it): "+
			"`aws kms put-key-policy --region %s --key-id %s --policy-name default --policy file://key-policy.json`, with account %s's credentials; "+
			"or create %s in %s with its KMS key yourself before the next push.",
			t.CustomRoleArn, d.Destination.Account, shellQuote(d.Destination.Region), shellQuote(t.EncryptionConfiguration.KmsKey), d.Destination.Account, d.Repository, d.Destination)
		if len(why) == 1 {
			f.Fix.Steps = []string{step} // the role is there: only its use of the key is missing
		} else {
			f.Fix.Steps = append(f.Fix.Steps, step)
		}
	}
	return f
}

// EvidenceCreationTemplate is a repository creation template.
const EvidenceCreationTemplate = "creation_template"

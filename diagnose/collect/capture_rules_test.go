package collect_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ecrdoctor/ecrdoctor/diagnose"
	"github.com/ecrdoctor/ecrdoctor/diagnose/collect"
	"github.com/ecrdoctor/ecrdoctor/diagnose/collect/awstest"
)

// TestCaptureKeepsDeleteReplication: describe-registry.json keeps every field
// the CLI prints, including a rule's deleteReplication (ECR, 2026-11; the
// SDK before service/ecr v1.68.0 dropped it while decoding), and the loader
// reads it back.
func TestCaptureKeepsDeleteReplication(t *testing.T) {
	t.Parallel()
	env := awstest.New(t)
	s := seedScenario(time.Now(), 0)
	s.Rules[0].DeleteReplication = true
	s.Rules[0].Filters = []string{"my-"}
	env.Build(s)
	dir, _, _ := runCapture(t, captureOpts(env))

	b, err := os.ReadFile(collect.CallFile(dir, src, srcReg, collect.DescribeRegistryFile))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"deleteReplication": {`) || !strings.Contains(string(b), `"enabled": true`) {
		t.Errorf("describe-registry.json lost deleteReplication:\n%s", b)
	}
	snap, err := collect.LoadDir(context.Background(), dir, collect.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rules := snap.Registry(diagnose.Location{Account: src, Region: srcReg}).DescribeRegistry.Value.ReplicationConfiguration.Rules
	if len(rules) != 1 || rules[0].DeleteReplication == nil || !rules[0].DeleteReplication.Enabled {
		t.Errorf("loaded rules = %+v, want deleteReplication enabled", rules)
	}
	if f := rules[0].RepositoryFilters; len(f) != 1 || f[0].Filter != "my-" || f[0].FilterType != "PREFIX_MATCH" {
		t.Errorf("loaded filters = %+v", f)
	}
}

// TestCaptureCreationTemplates: a destination's repository creation
// templates are read with its own credentials and kept field for field
// (moto has none: the harness's stand-in serves them).
func TestCaptureCreationTemplates(t *testing.T) {
	t.Parallel()
	env := awstest.New(t)
	s := seedScenario(time.Now(), 0)
	s.Destinations[crossAcctDest] = awstest.Destination{} // replication must create the repository
	env.Build(s)
	env.Moto.Templates = map[string][]map[string]any{dst + "/" + srcReg: {{
		"prefix": "ROOT", "appliedFor": []string{"REPLICATION"}, "customRoleArn": "arn:aws:iam::" + dst + ":role/EcrTemplate",
		"encryptionConfiguration": map[string]string{"encryptionType": "KMS", "kmsKey": "arn:aws:kms:" + srcReg + ":" + dst + ":key/k1"},
		"resourceTags":            []map[string]string{{"Key": "team", "Value": "platform"}}, "imageTagMutability": "IMMUTABLE",
	}}}
	dir, stats, _ := runCapture(t, captureOpts(env))
	if n := env.Moto.Counts()["ecr:DescribeRepositoryCreationTemplates"]; n != 1 {
		t.Errorf("%d template reads, want 1 (the cross-account destination only)", n)
	}
	snap, err := collect.LoadDir(context.Background(), dir, collect.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	r := snap.Registry(crossAcctDest).Templates
	if !r.OK() || len(r.Value.Templates) != 1 {
		t.Fatalf("templates = %+v (warnings %q)", r, stats.Warnings)
	}
	tm := r.Value.Templates[0]
	if tm.CustomRoleArn == "" || tm.EncryptionConfiguration == nil || tm.EncryptionConfiguration.KmsKey == "" || len(tm.ResourceTags) != 1 || tm.ImageTagMutability != "IMMUTABLE" || len(tm.AppliedFor) != 1 {
		t.Errorf("template lost fields: %+v", tm)
	}
}

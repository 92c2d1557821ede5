package collect_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/ecrdoctor/ecrdoctor/diagnose"
	"github.com/ecrdoctor/ecrdoctor/diagnose/collect"
	"github.com/ecrdoctor/ecrdoctor/diagnose/collect/awstest"
)

// TestCaptureKeyPolicy: where replication will create the destination
// repository with a KMS creation template, the key's policy is read with
// the destination's credentials (moto has KMS), and a policy that does not
// let the template's role use the key is KMS_KEY_NOT_USABLE. Where the
// repository exists, no template and no key policy is read.
func TestCaptureKeyPolicy(t *testing.T) {
	t.Parallel()
	env := awstest.New(t)
	s := seedScenario(time.Now(), 0)
	s.Destinations[crossAcctDest] = awstest.Destination{RegistryPolicy: awstest.ReplicationGrant(src, dst, srcReg, "my-")}
	env.Build(s)
	creds := env.Credentials(dst, "ScenarioAdmin")
	keys := kms.New(kms.Options{Region: srcReg, BaseEndpoint: aws.String(env.Moto.MotoURL),
		Credentials: credentials.NewStaticCredentialsProvider(creds.AccessKeyID, creds.SecretAccessKey, creds.SessionToken)})
	policy := `{"Version":"2012-10-17","Statement":[{"Sid":"Admins","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + dst + `:role/KeyAdmin"},"Action":"kms:*","Resource":"*"}]}`
	key, err := keys.CreateKey(context.Background(), &kms.CreateKeyInput{Policy: aws.String(policy)})
	if err != nil {
		t.Fatal(err)
	}
	keyARN := aws.ToString(key.KeyMetadata.Arn)
	if !strings.Contains(keyARN, ":"+dst+":") {
		t.Fatalf("moto made key %s outside account %s", keyARN, dst)
	}
	env.Moto.Templates = map[string][]map[string]any{dst + "/" + srcReg: {{
		"prefix": "ROOT", "appliedFor": []string{"REPLICATION"}, "customRoleArn": "arn:aws:iam::" + dst + ":role/EcrTemplateKms",
		"encryptionConfiguration": map[string]string{"encryptionType": "KMS", "kmsKey": keyARN},
	}}}
	env.Moto.ResetCounts()

	dir, stats, _ := runCapture(t, captureOpts(env))
	if n := env.Moto.Counts()["kms:GetKeyPolicy"]; n != 1 {
		t.Errorf("%d GetKeyPolicy calls, want 1 (warnings %q)", n, stats.Warnings)
	}
	snap, err := collect.LoadDir(context.Background(), dir, collect.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_, id, _ := diagnose.KeyOf(keyARN)
	if kp := snap.Registry(crossAcctDest).KeyPolicies[id]; !kp.OK() || !strings.Contains(kp.Value.Policy, "KeyAdmin") {
		t.Errorf("key policy = %+v", kp)
	}
	rep, err := diagnose.Analyze(snap)
	if err != nil {
		t.Fatal(err)
	}
	var summary string
	for _, f := range rep.Findings {
		if f.Code == diagnose.CodeKMSKeyNotUsable {
			summary = f.Summary
		}
	}
	if !strings.Contains(summary, "does not let the template's role") {
		t.Errorf("KMS_KEY_NOT_USABLE = %q; want the key policy named (findings %+v)", summary, rep.Findings)
	}

	// The repository exists: templates cannot apply, nothing more is read.
	seed := awstest.New(t)
	seed.Build(seedScenario(time.Now(), 0))
	runCapture(t, captureOpts(seed))
	if n := seed.Moto.Counts()["kms:GetKeyPolicy"]; n != 0 {
		t.Errorf("%d GetKeyPolicy calls where the repository exists, want 0", n)
	}
}
